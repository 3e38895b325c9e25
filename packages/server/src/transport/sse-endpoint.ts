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
import type { SwitchboardNode } from '../core/node.ts';
import type { Session } from '../core/session.ts';
import { disconnectFor, toSwitchboardError } from '../errors.ts';
import { sendError } from '../http/respond.ts';
import { SseTransport } from './sse.ts';

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
  readonly #transports = new Map<SseTransport, Session>();
  readonly #heartbeat = Buffer.from(encodeSseComment('ping'));
  #timer: NodeJS.Timeout | undefined;

  constructor(node: SwitchboardNode) {
    this.#node = node;
  }

  get count(): number {
    return this.#transports.size;
  }

  start(): void {
    this.#timer = setInterval(() => {
      for (const t of this.#transports.keys()) t.heartbeat(this.#heartbeat);
    }, this.#node.config.heartbeat.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  handle(req: IncomingMessage, res: ServerResponse, url: URL): void {
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
        node.admit(c, null, rates.get(c));
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
        limits: { maxBytes: limits.maxOutgoingBytes, maxMs: limits.maxOutgoingMs },
        retryMs: node.config.sse.retryMs,
        onSlow: () => session.disconnect(disconnectFor('slow_consumer')),
      },
    );
    const session = node.createSession(transport);
    this.#transports.set(transport, session);
    res.on('close', () => {
      this.#transports.delete(transport);
      session.closed();
    });
    transport.send({
      type: 'connected',
      client: session.id,
      version: PROTOCOL_VERSION,
      transport: 'sse',
      heartbeat: node.config.heartbeat.intervalMs,
    });
    if (cursorProblem !== null) session.error(undefined, 'bad_cursor', `${cursorProblem}; resuming live`);
    // A stream's channels are fixed by its URL: if one cannot be subscribed (the engine is down), end the
    // stream with a reconnect code so the browser retries the whole set, instead of silently missing a channel.
    const subscribing = channels.map((channel, i) =>
      session.subscribe(channel, positions[i], undefined, rates.get(channel)),
    );
    void Promise.all(subscribing).then((results) => {
      if (results.includes(false)) session.disconnect(disconnectFor('server_error'));
    });
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
