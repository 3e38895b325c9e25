import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import {
  channelError,
  decodeCursor,
  encodeSseComment,
  isRate,
  MAX_RATE,
  negotiateWire,
  normalizeChannels,
  type Position,
  PROTOCOL_VERSION,
  WIRE_PARAM,
} from '@switchboard/protocol';
import { sseCredential } from '../auth/credentials.ts';
import { channelUsers } from '../auth/patterns.ts';
import type { TicketStore } from '../auth/tickets.ts';
import { ANONYMOUS, type Identity, UNAUTHORIZED_MESSAGE } from '../auth/types.ts';
import type { SwitchboardNode } from '../core/node.ts';
import type { Session } from '../core/session.ts';
import { disconnectFor, toSwitchboardError } from '../errors.ts';
import { sendError } from '../http/respond.ts';
import { forwardedHeaders } from '../proxy/hooks.ts';
import { HeartbeatWheel } from '../transport/heartbeat.ts';
import { detachHttp1 } from '../transport/http1-detach.ts';
import { http1Sink, http2Sink, type SseSink, SseTransport, socketSink } from '../transport/sse.ts';
import { SseCommands } from './sse-command.ts';

/** Headers that keep an event stream flowing through browsers, proxies and CDNs. */
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  // Not `Content-Encoding`: a compressing proxy would hold events back until its buffer fills.
};
/** HTTP/1.1 streams are close-delimited; HTTP/2 has no `Connection` header (its streams end on their own). */
const SSE_HTTP1_HEADERS = { ...SSE_HEADERS, connection: 'close' };

/**
 * Serves `GET /sse?channel=a&channel=b[&since=<cursor>]`. Every refusal (bad channel, bad `since`, full hub)
 * is an HTTP error before the stream starts; a bad `Last-Event-ID` (set by the browser, which cannot fix it)
 * does not refuse the stream: it gets an `error` event and the channels go on live.
 */
export class SseEndpoint {
  readonly #node: SwitchboardNode;
  readonly #tickets: TicketStore;
  /** `POST /sse/command`: the commands of open streams. */
  readonly commands: SseCommands;
  readonly #transports = new Map<SseTransport, Session>();
  readonly #heartbeat = Buffer.from(encodeSseComment('ping'));
  readonly #heartbeats: HeartbeatWheel<SseTransport>;

  constructor(node: SwitchboardNode, tickets: TicketStore) {
    this.#node = node;
    this.#tickets = tickets;
    this.commands = new SseCommands(node);
    const heartbeat = this.#heartbeat;
    this.#heartbeats = new HeartbeatWheel(node.config.heartbeat.intervalMs, (t) => t.heartbeat(heartbeat));
  }

  get count(): number {
    return this.#transports.size;
  }

  start(): void {
    this.#heartbeats.start();
  }

  stop(): void {
    this.#heartbeats.stop();
  }

  /**
   * Cuts every stream still open: the last step of a shutdown, after the drain. HTTP/1.1 streams are off the HTTP
   * server (`detachHttp1`), so its `closeAllConnections` does not reach them.
   */
  closeAll(): void {
    for (const transport of this.#transports.keys()) transport.cut();
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const node = this.#node;
    if (req.method !== 'GET') return sendError(res, 'method_not_allowed', 'use GET', { allow: 'GET' });
    const requested = url.searchParams.getAll('channel');
    if (requested.length === 0)
      return sendError(res, 'bad_request', 'name at least one channel: /sse?channel=…');
    for (const c of requested) {
      const problem = channelError(c, node.config.limits.maxChannelLength);
      if (problem !== null) return sendError(res, 'invalid_channel', problem);
    }
    const channels = normalizeChannels(requested);
    if (channels.length > node.config.limits.maxChannelsPerConnection) {
      return sendError(
        res,
        'too_many_channels',
        `at most ${node.config.limits.maxChannelsPerConnection} channels per stream`,
      );
    }

    const rates = parseRates(url.searchParams.getAll('rate'), channels);
    if (typeof rates === 'string') return sendError(res, 'bad_request', rates);

    // Namespace refusals (anonymous access, a full channel, a rate the policy cannot honour) before the stream
    // starts, as HTTP errors.
    for (const c of channels) {
      try {
        node.admit(c, rates.get(c));
      } catch (err) {
        const e = toSwitchboardError(err);
        return sendError(res, e.code, e.message);
      }
    }

    // The browser's Last-Event-ID is newer than a `since` left in the URL it reconnects to, so it wins.
    // undefined: start live; null: asked to resume but the position was unusable (answered `recovered: false`).
    let positions: (Position | null | undefined)[] = channels.map(() => undefined);
    let cursorProblem: string | null = null;
    const lastEventId = req.headers['last-event-id'];
    const since = url.searchParams.get('since');
    if (typeof lastEventId === 'string' && lastEventId !== '') {
      const decoded = decodeCursor(lastEventId, channels);
      if (decoded.ok) positions = decoded.positions;
      else {
        cursorProblem = `Last-Event-ID: ${decoded.reason}`;
        positions = channels.map(() => null);
      }
    } else if (since !== null) {
      const decoded = decodeCursor(since, channels);
      if (!decoded.ok) return sendError(res, 'bad_cursor', `since: ${decoded.reason}`);
      positions = decoded.positions;
    }

    const id = randomUUID();
    const headers = forwardedHeaders(node.config.proxy.headers, req.headers);
    const identity = await this.#identify(req, res, url, id, headers);
    if (identity === null) return;
    // A stream's channels are fixed: one it may not read refuses the whole request, before the stream starts.
    // Channels whose namespace has a subscribe hook are the backend's to decide, asked here for the same reason.
    const context = { client: id, transport: 'sse' as const, user: identity.user, headers };
    const hooked = new Map<string, Promise<{ info?: unknown }>>();
    for (const channel of channels) {
      const hook = node.channelOptions(channel).proxy.subscribe;
      if (node.access.needsSubscriptionToken(channel)) {
        node.metrics.refused.inc({ reason: 'forbidden' });
        return sendError(res, 'forbidden', 'this channel needs a subscription token (WebSocket only)');
      }
      if (hook !== '' && channelUsers(channel) === null) {
        hooked.set(channel, node.hooks.subscribe(context, hook, channel));
        continue;
      }
      const refusal = node.access.check(identity, 'subscribe', channel);
      if (refusal !== null) {
        node.metrics.refused.inc({ reason: refusal.code });
        return sendError(res, refusal.code, refusal.message);
      }
    }
    const infos = new Map<string, unknown>();
    // Every call settles before the answer, so none is left running for a refused stream.
    const decisions = await Promise.allSettled(hooked.values());
    for (const [i, channel] of [...hooked.keys()].entries()) {
      const d = decisions[i]!;
      if (d.status === 'rejected') {
        const e = toSwitchboardError(d.reason);
        node.metrics.refused.inc({ reason: e.code });
        return sendError(res, e.code, e.message);
      }
      infos.set(channel, d.value.info);
    }
    // The client may have gone while its token was being verified: nothing would clean up after it.
    // (HTTP/2: the stream may be gone while its connection lives on.)
    const h2 = req.httpVersionMajor === 2 ? (res as unknown as Http2ServerResponse).stream : null;
    if (h2 === null ? req.socket.destroyed : h2.destroyed || h2.closed) return;

    if (node.draining)
      return sendError(res, 'shutting_down', 'the hub is shutting down', { 'retry-after': '1' });
    if (!node.hasRoom()) {
      node.metrics.refused.inc({ reason: 'too_many_connections' });
      return sendError(res, 'too_many_connections', 'the hub is at its connection limit', {
        'retry-after': '5',
      });
    }

    let session: Session;
    try {
      let sink: SseSink;
      /** What says the stream is gone: its socket once off the HTTP server, else the response. */
      let closes: EventEmitter = res;
      if (h2 === null) {
        // Close-delimited body: no chunk framing per write, so an event's bytes go out exactly as built.
        res.useChunkedEncodingByDefault = false;
        res.shouldKeepAlive = false;
        // The head, `retry:`, `connected` (and `subscribed`, when the engine answers within the turn) in one
        // write instead of two or three: the socket holds them until the turn's coalesced writes are flushed.
        req.socket.cork();
        res.writeHead(200, SSE_HTTP1_HEADERS);
        res.write(`retry: ${node.config.sse.retryMs}\n\n`);
        req.socket.setNoDelay(true);
        // From here on the connection is only this stream's bytes: the socket leaves Node's HTTP server (its
        // parser, listeners, request and response go, as on a WebSocket upgrade), so an idle stream keeps only the
        // socket. It stays corked until the turn's first writes are out (below).
        const socket = detachHttp1(res);
        if (socket === null) sink = http1Sink(res);
        else {
          sink = socketSink(socket);
          closes = socket;
        }
      } else {
        // The connection's socket has no delay set once, when the HTTP/2 connection starts (http/http2.ts), and
        // the idle-stream cut there is for requests, not for a stream that lives as long as its subscriber.
        h2.setTimeout(0);
        res.writeHead(200, SSE_HEADERS);
        res.write(`retry: ${node.config.sse.retryMs}\n\n`);
        sink = http2Sink(h2);
      }

      const { limits } = node.config;
      const transport = new SseTransport(
        sink,
        channels,
        positions.map((p) => p ?? null),
        {
          limits: { maxBytes: limits.maxOutgoingBytes, maxMs: limits.maxOutgoingMs, budget: node.outgoing },
          retryMs: node.config.sse.retryMs,
          onSlow: () => session.disconnect(disconnectFor('slow_consumer')),
          tally: node.metrics.bytesWritten.sse,
          compact: node.config.server.compactFrames && negotiateWire(url.searchParams.get(WIRE_PARAM)) === 2,
        },
      );
      session = node.createSession(transport, identity, id, headers);
      this.#transports.set(transport, session);
      this.#heartbeats.add(transport);
      const secret = this.commands.register(session);
      closes.on('close', () => {
        transport.released();
        this.#transports.delete(transport);
        this.#heartbeats.delete(transport);
        this.commands.unregister(secret);
        session.closed();
      });
      transport.send({
        type: 'connected',
        client: session.id,
        version: PROTOCOL_VERSION,
        transport: 'sse',
        user: session.user,
        heartbeat: node.config.heartbeat.intervalMs,
        session: secret,
        ...(transport.compact ? { wire: 2 as const } : {}),
      });
    } finally {
      // Scheduled after the `connected` frame scheduled the coalesced flush, so this runs once it has written;
      // in a finally so that a stream that failed to start is not left corked.
      if (h2 === null) setImmediate(uncork, req.socket);
    }
    if (cursorProblem !== null) session.error(undefined, 'bad_cursor', `${cursorProblem}; resuming live`);
    // A stream's channels are fixed by its URL: if one cannot be subscribed (the engine is down), end the
    // stream with a reconnect code so the browser retries the whole set, instead of silently missing a channel.
    const subscribing = channels.map((channel, i) => {
      const since = positions[i];
      const rate = rates.get(channel);
      const info = infos.get(channel);
      return session.subscribe({
        channel,
        ...(since === undefined ? {} : { since }),
        ...(rate === undefined ? {} : { rate }),
        ...(hooked.has(channel) ? { hooked: true } : {}),
        ...(info === undefined ? {} : { info }),
      });
    });
    void Promise.all(subscribing).then((results) => {
      if (results.includes(false)) session.disconnect(disconnectFor('server_error'));
    });
  }

  /** The stream's identity from its credential, or null after answering 400/401. Every refusal reads the same. */
  async #identify(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    id: string,
    headers: Readonly<Record<string, string>>,
  ): Promise<Identity | null> {
    const identity = await this.#credentialIdentity(req, res, url);
    if (identity === null || !this.#node.hooks.connects) return identity;
    // The connect hook decides who the stream is, told the user of its credentials if it had any.
    try {
      const context = { client: id, transport: 'sse' as const, user: identity.user, headers };
      return await this.#node.hooks.connect(context, identity);
    } catch (err) {
      const e = toSwitchboardError(err);
      this.#node.metrics.refused.inc({ reason: e.code });
      sendError(res, e.code, e.message);
      return null;
    }
  }

  async #credentialIdentity(req: IncomingMessage, res: ServerResponse, url: URL): Promise<Identity | null> {
    const node = this.#node;
    const credential = sseCredential(req, url, node.config.auth.cookie);
    const unauthorized = (): null => {
      node.metrics.refused.inc({ reason: 'unauthorized' });
      sendError(res, 'unauthorized', UNAUTHORIZED_MESSAGE, { 'www-authenticate': 'Bearer' });
      return null;
    };
    switch (credential.kind) {
      case 'none':
        return ANONYMOUS;
      case 'refused':
        sendError(res, 'bad_request', credential.reason);
        return null;
      case 'ticket': {
        // A ticket whose claims expire before the stream could start is as good as none.
        const identity = this.#tickets.redeem(credential.ticket, Date.now());
        if (identity === null || (identity.expiresAt !== null && identity.expiresAt <= Date.now()))
          return unauthorized();
        return identity;
      }
      case 'cookie':
        // Cookies are ambient (another app on the domain may set one): a hub without a key ignores them.
        if (!node.authenticator.enabled) return ANONYMOUS;
        return this.#verify(credential.token, unauthorized);
      case 'bearer':
        return this.#verify(credential.token, unauthorized);
    }
  }

  async #verify(token: string, unauthorized: () => null): Promise<Identity | null> {
    try {
      return await this.#node.authenticator.verifyConnection(token);
    } catch {
      // The authenticator refuses every bad token the same way and logs only a reason code.
      return unauthorized();
    }
  }
}

/**
 * The `rate` parameters of a stream URL: `rate=<n>` for every channel of the stream, `rate=<channel>:<n>` for one
 * (split at the last `:`, since channel names may hold `:` themselves); a channel's own value wins. Returns the
 * rate per channel, or a message saying what is wrong.
 */
export function parseRates(
  values: readonly string[],
  channels: readonly string[],
): Map<string, number> | string {
  const all = new Map<string, number>();
  const own = new Map<string, number>();
  for (const value of values) {
    const colon = value.lastIndexOf(':');
    const channel = colon === -1 ? null : value.slice(0, colon);
    const text = colon === -1 ? value : value.slice(colon + 1);
    const n = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
    if (!isRate(n)) return `rate must be <n> or <channel>:<n> with n an integer 1..${MAX_RATE}`;
    if (channel === null) for (const c of channels) all.set(c, n);
    else if (!channels.includes(channel)) return 'rate names a channel the stream does not subscribe to';
    else own.set(channel, n);
  }
  for (const [c, n] of own) all.set(c, n);
  return all;
}

/** Ends the cork of a new stream's first writes: the socket writes what it holds (one `writev`). */
function uncork(socket: Socket): void {
  socket.uncork();
}
