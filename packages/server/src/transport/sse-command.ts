import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CommandId,
  type CommandLimits,
  type ErrorCode,
  type ErrorFrame,
  parseCommand,
  type ServerFrame,
  statusOf,
} from '@switchboard/protocol';
import type { SwitchboardNode } from '../core/node.ts';
import type { Session } from '../core/session.ts';
import { toSwitchboardError } from '../errors.ts';
import { readJsonBody } from '../http/body.ts';
import type { SseTransport } from './sse.ts';

/** The header that names the stream a command belongs to. */
export const SESSION_HEADER = 'x-switchboard-session';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

/**
 * `POST /sse/command`: the other half of an SSE connection. A stream's `connected` frame carries `session`, a
 * random secret bound to that stream; a request with `X-Switchboard-Session: <secret>` and one client command as
 * its JSON body runs that command through the stream's `Session`, the same path as a WebSocket command (so the
 * same checks apply), and answers with the reply frame a WebSocket would get. Every answer is a frame; failures
 * are `error` frames with their code's HTTP status. `subscribe`/`unsubscribe` are refused: a stream's channels
 * are fixed by its URL.
 */
export class SseCommands {
  readonly #node: SwitchboardNode;
  readonly #limits: CommandLimits;
  readonly #streams = new Map<string, { session: Session; transport: SseTransport }>();
  #nextReply = 0;

  constructor(node: SwitchboardNode) {
    this.#node = node;
    const { limits } = node.config;
    this.#limits = { maxChannelLength: limits.maxChannelLength, maxHistoryLimit: limits.maxHistoryLimit };
  }

  /** Binds a new secret to a stream; it is forgotten when the stream closes. */
  register(session: Session, transport: SseTransport): string {
    // 144 bits from the CSPRNG: unguessable, and URL/header safe.
    const secret = randomBytes(18).toString('base64url');
    this.#streams.set(secret, { session, transport });
    return secret;
  }

  unregister(secret: string): void {
    this.#streams.delete(secret);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST')
      return answer(res, errorFrame('method_not_allowed', 'use POST'), { allow: 'POST' });
    const secret = req.headers[SESSION_HEADER];
    const stream = typeof secret === 'string' ? this.#streams.get(secret) : undefined;
    if (stream === undefined || stream.session.state !== 'open') {
      req.resume();
      return answer(res, errorFrame('not_found', `no open SSE stream has this ${SESSION_HEADER}`));
    }
    let body: unknown;
    try {
      body = await readJsonBody(req, this.#node.config.limits.maxFrameBytes);
    } catch (err) {
      const e = toSwitchboardError(err);
      return answer(res, errorFrame(e.code, e.message));
    }
    const parsed = parseCommand(JSON.stringify(body), this.#limits);
    if (!parsed.ok) {
      const { code, message, id, channel } = parsed.error;
      return answer(res, errorFrame(code, message, id, channel));
    }
    const command = parsed.command;
    if (command.type === 'subscribe' || command.type === 'unsubscribe') {
      const message =
        'an SSE stream has the channels of its URL: open a new stream (with since=) to change them';
      return answer(res, errorFrame('bad_request', message, command.id, command.channel));
    }
    // The command runs under an id of our own, so its reply is told apart from anything else the stream gets,
    // and the client's id (if any) is put back on the answer.
    const internalId = `sse-command-${++this.#nextReply}`;
    const reply = new Promise<ServerFrame | undefined>((resolve) => {
      stream.transport.captureReply(internalId, resolve);
      res.once('close', () => resolve(undefined));
    });
    try {
      await stream.session.handle({ ...command, id: internalId });
    } catch (err) {
      stream.transport.releaseReply(internalId);
      this.#node.logFailure('sse command failed', err, { client: stream.session.id });
      return answer(res, errorFrame('internal', 'internal error', command.id));
    }
    // Every command answers before `handle` resolves; a session that closed meanwhile answered nothing.
    stream.transport.releaseReply(internalId);
    const frame = await reply;
    if (frame === undefined) return answer(res, errorFrame('not_found', 'the SSE stream closed', command.id));
    const { id: _internal, ...rest } = frame as ServerFrame & { id?: CommandId };
    answer(res, (command.id === undefined ? rest : { ...rest, id: command.id }) as ServerFrame);
  }
}

function errorFrame(code: ErrorCode, message: string, id?: CommandId, channel?: string): ErrorFrame {
  return {
    type: 'error',
    ...(id === undefined ? {} : { id }),
    code,
    message,
    ...(channel === undefined ? {} : { channel }),
  };
}

function answer(res: ServerResponse, frame: ServerFrame, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const status = frame.type === 'error' ? statusOf(frame.code) : 200;
  const text = JSON.stringify(frame);
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
