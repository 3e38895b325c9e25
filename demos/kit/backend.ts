// What every demo backend shares: the hub's HTTP API with the key the launcher gave it, tokens signed with the
// hub's secret, and a small JSON HTTP server for its page (reached through /demos/<name>/api/…). The backend
// prints `{"port":N}` as its first stdout line so the launcher knows where it listens.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';

function need(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '')
    throw new Error(`${name} is not set: start the demos with npm run demos`);
  return value;
}

const HUB = need('SWITCHBOARD_URL');
const KEY = need('SWITCHBOARD_API_KEY');
const SECRET = new TextEncoder().encode(need('DEMO_TOKEN_SECRET'));
const MAX_BODY = 64 * 1024;

export class HubError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** POST /api/<path> on the hub with the backend's key; throws a HubError with the hub's code when refused. */
export async function hubApi<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${HUB}/api/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as T & { error?: { code: string; message: string } };
  if (!res.ok) throw new HubError(res.status, answer.error?.code ?? 'unknown', answer.error?.message ?? '');
  return answer;
}

export interface PublishResult {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly duplicate?: boolean;
}

export function publish(channel: string, data: unknown, idempotencyKey?: string): Promise<PublishResult> {
  return hubApi('publish', { channel, data, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
}

/** GET a hub path as text (`/metrics`). */
export async function hubGet(path: string): Promise<string> {
  const res = await fetch(`${HUB}${path}`);
  return res.text();
}

export interface TokenClaims {
  readonly sub?: string;
  readonly subscribe?: readonly string[];
  readonly publish?: readonly string[];
  readonly presence?: readonly string[];
  readonly info?: unknown;
}

/** A connection token the hub accepts (HS256 with the hub's secret), valid `ttlSeconds`. */
export function signToken(claims: TokenClaims, ttlSeconds = 600): Promise<string> {
  const jwt = new SignJWT({ ...claims } as Record<string, unknown>).setProtectedHeader({ alg: 'HS256' });
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  return jwt
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(SECRET);
}

export type Handler = (req: {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: { authorization?: string | undefined };
}) => Promise<{ status?: number; body: unknown }> | { status?: number; body: unknown };

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new HubError(413, 'payload_too_large', 'body too large');
    chunks.push(c);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HubError(400, 'invalid_json', 'the body is not JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Serves `handler` on 127.0.0.1 (a free port), prints the port, and stops on SIGTERM / SIGINT. */
export async function serveBackend(handler: Handler, onStop: () => void = () => {}): Promise<void> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://backend.invalid');
    readJson(req)
      .then((body) =>
        handler({
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          body,
          headers: { authorization: req.headers.authorization },
        }),
      )
      .then(
        (answer) => send(res, answer.status ?? 200, answer.body),
        (err: unknown) => {
          if (err instanceof HubError)
            send(res, err.status, { error: { code: err.code, message: err.message } });
          else {
            process.stderr.write(`backend error: ${err instanceof Error ? err.stack : String(err)}\n`);
            send(res, 500, { error: { code: 'internal', message: 'internal error' } });
          }
        },
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  const stop = () => {
    onStop();
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

export const notFound = { status: 404, body: { error: { code: 'not_found', message: 'no such endpoint' } } };
export const badRequest = (message: string) => ({
  status: 400,
  body: { error: { code: 'bad_request', message } },
});
