import { randomFillSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CommandLimits, type ServerFrame, statusOf, validateCommand } from '@switchboard/protocol';
import type { SwitchboardNode } from '../core/node.ts';
import { errorFrame, type ReplySink } from '../core/reply.ts';
import type { Session } from '../core/session.ts';
import { toSwitchboardError } from '../errors.ts';
import { readJsonBody } from '../http/body.ts';

/** The header that names the stream a command belongs to. */
export const SESSION_HEADER = 'x-switchboard-session';

/** Bytes of one stream secret: 144 bits from the CSPRNG, unguessable, URL and header safe as base64url. */
const SECRET_BYTES = 18;
/**
 * Secrets are cut from one pool refilled from the CSPRNG every 256 streams, instead of one `randomBytes` call
 * (a Buffer and a system call) per stream: in a connection storm that call was 3% of the hub's busy time. Each
 * pool byte is used for one secret only.
 */
const POOL = Buffer.allocUnsafe(SECRET_BYTES * 256);
let poolAt = POOL.length;

/** A fresh stream secret. */
export function streamSecret(): string {
  if (poolAt === POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const secret = POOL.toString('base64url', poolAt, poolAt + SECRET_BYTES);
  poolAt += SECRET_BYTES;
  return secret;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

/**
 * `POST /sse/command`: the other half of an SSE connection. A stream's `connected` frame carries `session`, a
 * random secret bound to that stream; a request with `X-Switchboard-Session: <secret>` and one client command as
 * its JSON body runs that command through the stream's `Session`, the same path as a WebSocket command (so the
 * same checks apply), with this request's response as the command's reply sink: it answers with the reply frame
 * a WebSocket would get. Every answer is a frame; failures are `error` frames with their code's HTTP status.
 * `subscribe`/`unsubscribe` are refused: a stream's channels are fixed by its URL.
 */
export class SseCommands {
  readonly #node: SwitchboardNode;
  readonly #limits: CommandLimits;
  readonly #streams = new Map<string, Session>();

  constructor(node: SwitchboardNode) {
    this.#node = node;
    const { limits } = node.config;
    this.#limits = {
      maxChannelLength: limits.maxChannelLength,
      maxHistoryLimit: limits.maxHistoryLimit,
      maxJsonDepth: limits.maxJsonDepth,
    };
  }

  /** Binds a new secret to a stream's session; it is forgotten when the stream closes. */
  register(session: Session): string {
    const secret = streamSecret();
    this.#streams.set(secret, session);
    return secret;
  }

  unregister(secret: string): void {
    this.#streams.delete(secret);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST')
      return answer(res, errorFrame(undefined, 'method_not_allowed', 'use POST'), { allow: 'POST' });
    const secret = req.headers[SESSION_HEADER];
    const session = typeof secret === 'string' ? this.#streams.get(secret) : undefined;
    if (session === undefined || session.state !== 'open') {
      req.resume();
      return answer(res, errorFrame(undefined, 'not_found', `no open SSE stream has this ${SESSION_HEADER}`));
    }
    // Metered before the body is read, like a WebSocket frame: a refusal (or the close past the error budget)
    // answers 429 without reading it.
    const sink: ReplySink = { reply: (frame) => answer(res, frame) };
    if (!session.admit(sink)) {
      req.resume();
      return answer(res, errorFrame(undefined, 'too_many_requests', 'too many commands; slow down'));
    }
    let body: unknown;
    try {
      body = await readJsonBody(req, this.#node.config.limits.maxFrameBytes, this.#limits.maxJsonDepth);
    } catch (err) {
      const e = toSwitchboardError(err);
      session.unreadable({ code: e.code, message: e.message }, sink);
      return answer(res, errorFrame(undefined, 'too_many_requests', 'too many errors; the stream is closed'));
    }
    const parsed = validateCommand(body, this.#limits);
    if (!parsed.ok) {
      session.unreadable(parsed.error, sink);
      return answer(res, errorFrame(undefined, 'too_many_requests', 'too many errors; the stream is closed'));
    }
    const command = parsed.command;
    if (command.type === 'subscribe' || command.type === 'unsubscribe') {
      const message =
        'an SSE stream has the channels of its URL: open a new stream (with since=) to change them';
      return answer(res, errorFrame(command.id, 'bad_request', message, command.channel));
    }
    let answered = false;
    const reply: ReplySink = {
      reply: (frame) => {
        answered = true;
        answer(res, frame);
      },
    };
    try {
      await session.handle(command, reply);
    } catch (err) {
      this.#node.logFailure('sse command failed', err, { client: session.id });
      if (!answered) answer(res, errorFrame(command.id, 'internal', 'internal error'));
      return;
    }
    // Every command answers before `handle` resolves; a session that closed meanwhile answered nothing.
    if (!answered) answer(res, errorFrame(command.id, 'not_found', 'the SSE stream closed'));
  }
}

function answer(res: ServerResponse, frame: ServerFrame, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const status = frame.type === 'error' ? statusOf(frame.code) : 200;
  const text = JSON.stringify(frame);
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
