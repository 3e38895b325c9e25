// What every baseline shares: the protocol subset the generator speaks (subscribe reply, message frames,
// POST /api/publish and /api/broadcast with a bearer key), a channel registry, and the process wiring.
// A baseline differs from another only in how it writes a publication to its subscribers.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

export const EPOCH = 'baseline';
const MAX_BODY = 1024 * 1024;

/** Subscribers by channel, and each channel's last offset. */
export class Channels<S> {
  readonly subscribers = new Map<string, Set<S>>();
  readonly #offsets = new Map<string, number>();

  offset(channel: string): number {
    return this.#offsets.get(channel) ?? 0;
  }

  add(channel: string, sub: S): void {
    let set = this.subscribers.get(channel);
    if (set === undefined) {
      set = new Set();
      this.subscribers.set(channel, set);
    }
    set.add(sub);
  }

  remove(channel: string, sub: S): void {
    const set = this.subscribers.get(channel);
    set?.delete(sub);
    if (set?.size === 0) this.subscribers.delete(channel);
  }

  /** Assigns the next offset of `channel`. */
  next(channel: string): number {
    const o = this.offset(channel) + 1;
    this.#offsets.set(channel, o);
    return o;
  }
}

export function messageFrame(channel: string, offset: number, data: string): string {
  return `{"type":"message","channel":${JSON.stringify(channel)},"epoch":"${EPOCH}","offset":${offset},"data":${data}}`;
}

export function subscribedFrame(channel: string, offset: number, id?: unknown): string {
  const idPart = id === undefined ? '' : `"id":${JSON.stringify(id)},`;
  return `{"type":"subscribed",${idPart}"channel":${JSON.stringify(channel)},"epoch":"${EPOCH}","offset":${offset},"recoverable":false}`;
}

/** Delivers one publication (its frame JSON) to every subscriber of a channel. */
export type Deliver = (channel: string, offset: number, frame: string) => void;

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) parts.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(parts).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

/** Handles `/api/*`; false when the request is not for the API. */
export function handleApi(
  req: IncomingMessage,
  res: ServerResponse,
  apiKey: string,
  channels: Channels<unknown>,
  deliver: Deliver,
): boolean {
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/api/publish' && path !== '/api/broadcast') return false;
  if (req.headers.authorization !== `Bearer ${apiKey}`) {
    reply(res, 401, { error: { code: 'unauthorized', message: 'unauthorized' } });
    return true;
  }
  void readBody(req).then((text) => {
    let body: { channel?: unknown; channels?: unknown; data?: unknown };
    try {
      body = JSON.parse(text ?? '');
    } catch {
      return reply(res, 400, { error: { code: 'invalid_json', message: 'invalid JSON' } });
    }
    const data = JSON.stringify(body.data ?? null);
    const publish = (channel: string): { channel: string; epoch: string; offset: number } => {
      const offset = channels.next(channel);
      deliver(channel, offset, messageFrame(channel, offset, data));
      return { channel, epoch: EPOCH, offset };
    };
    if (path === '/api/publish' && typeof body.channel === 'string')
      return reply(res, 200, publish(body.channel));
    if (path === '/api/broadcast' && Array.isArray(body.channels)) {
      return reply(res, 200, { results: body.channels.filter((c) => typeof c === 'string').map(publish) });
    }
    reply(res, 400, { error: { code: 'bad_request', message: 'bad request' } });
  });
  return true;
}

export interface BaselineArgs {
  port: number;
  apiKey: string;
}

export function baselineArgs(): BaselineArgs {
  const { values } = parseArgs({ options: { port: { type: 'string' }, 'api-key': { type: 'string' } } });
  return { port: Number(values.port ?? 0), apiKey: values['api-key'] ?? 'bench' };
}

/** Creates the HTTP server (API, healthz, then `route`), listens on loopback, prints `listening <port>`. */
export function serve(
  args: BaselineArgs,
  channels: Channels<unknown>,
  deliver: Deliver,
  route: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  const server = createServer((req, res) => {
    if (handleApi(req, res, args.apiKey, channels, deliver)) return;
    if (req.url === '/healthz') return reply(res, 200, { status: 'ok' });
    route(req, res);
  });
  server.keepAliveTimeout = 60_000;
  server.requestTimeout = 0;
  // The accept queue every target listens with (the hub's LISTEN_BACKLOG): the storm compares work, not queues.
  server.listen({ port: args.port, host: '127.0.0.1', backlog: 4096 }, () => {
    const addr = server.address();
    console.log(`listening ${typeof addr === 'object' && addr !== null ? addr.port : args.port}`);
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
  return server;
}

export function notFound(res: ServerResponse): void {
  reply(res, 404, { error: { code: 'not_found', message: 'not found' } });
}
