import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  channelError,
  decodeCursor,
  encodeSseComment,
  isRate,
  MAX_RATE,
  normalizeChannels,
  type Position,
  PROTOCOL_VERSION,
} from '@switchboard/protocol';
import { sseCredential } from '../auth/credentials.ts';
import type { TicketStore } from '../auth/tickets.ts';
import { ANONYMOUS, type Identity, UNAUTHORIZED_MESSAGE } from '../auth/types.ts';
import type { SwitchboardNode } from '../core/node.ts';
import type { Session } from '../core/session.ts';
import { disconnectFor, toSwitchboardError } from '../errors.ts';
import { sendError } from '../http/respond.ts';
import { HeartbeatWheel } from '../transport/heartbeat.ts';
import { SseTransport } from '../transport/sse.ts';
import { SseCommands } from './sse-command.ts';

/** Headers that keep an event stream flowing through browsers, proxies and CDNs. */
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  // Not `Content-Encoding`: a compressing proxy would hold events back until its buffer fills.
  connection: 'close',
};

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

    const identity = await this.#identify(req, res, url);
    if (identity === null) return;
    // A stream's channels are fixed: one it may not read refuses the whole request, before the stream starts.
    for (const channel of channels) {
      const refusal = node.access.needsSubscriptionToken(channel)
        ? { code: 'forbidden' as const, message: 'this channel needs a subscription token (WebSocket only)' }
        : node.access.check(identity, 'subscribe', channel);
      if (refusal !== null) {
        node.metrics.refused.inc({ reason: refusal.code });
        return sendError(res, refusal.code, refusal.message);
      }
    }
    // The client may have gone while its token was being verified: nothing would clean up after it.
    if (req.socket.destroyed) return;

    if (node.draining)
      return sendError(res, 'shutting_down', 'the hub is shutting down', { 'retry-after': '1' });
    if (!node.hasRoom()) {
      node.metrics.refused.inc({ reason: 'too_many_connections' });
      return sendError(res, 'too_many_connections', 'the hub is at its connection limit', {
        'retry-after': '5',
      });
    }

    // Close-delimited body: no chunk framing per write, so an event's bytes go out exactly as built.
    res.useChunkedEncodingByDefault = false;
    res.shouldKeepAlive = false;
    res.writeHead(200, SSE_HEADERS);
    res.write(`retry: ${node.config.sse.retryMs}\n\n`);
    req.socket.setNoDelay(true);

    const { limits } = node.config;
    const transport = new SseTransport(
      res,
      channels,
      positions.map((p) => p ?? null),
      {
        limits: { maxBytes: limits.maxOutgoingBytes, maxMs: limits.maxOutgoingMs, budget: node.outgoing },
        retryMs: node.config.sse.retryMs,
        onSlow: () => session.disconnect(disconnectFor('slow_consumer')),
        tally: node.metrics.bytesWritten.sse,
      },
    );
    const session = node.createSession(transport, identity);
    this.#transports.set(transport, session);
    this.#heartbeats.add(transport);
    const secret = this.commands.register(session);
    res.on('close', () => {
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
    });
    if (cursorProblem !== null) session.error(undefined, 'bad_cursor', `${cursorProblem}; resuming live`);
    // A stream's channels are fixed by its URL: if one cannot be subscribed (the engine is down), end the
    // stream with a reconnect code so the browser retries the whole set, instead of silently missing a channel.
    const subscribing = channels.map((channel, i) => {
      const since = positions[i];
      const rate = rates.get(channel);
      return session.subscribe({
        channel,
        ...(since === undefined ? {} : { since }),
        ...(rate === undefined ? {} : { rate }),
      });
    });
    void Promise.all(subscribing).then((results) => {
      if (results.includes(false)) session.disconnect(disconnectFor('server_error'));
    });
  }

  /** The stream's identity from its credential, or null after answering 400/401. Every refusal reads the same. */
  async #identify(req: IncomingMessage, res: ServerResponse, url: URL): Promise<Identity | null> {
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
