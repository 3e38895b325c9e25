import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeBase64, parsePosition } from '@switchboard/protocol';
import { claimsIdentity } from '../auth/claims.ts';
import type { TicketStore } from '../auth/tickets.ts';
import type { SwitchboardNode } from '../core/node.ts';
import { Payload } from '../core/payload.ts';
import { publicationView } from '../core/prepared.ts';
import { disconnectFor, SwitchboardError, toSwitchboardError } from '../errors.ts';
import { KeyedLimiter } from '../limits/rate.ts';
import type { LatencySeries } from '../observability/latency-histogram.ts';
import { tracingEnabled, withRequestContext } from '../observability/tracing.ts';
import { parseJsonBody, readBody, refuseFormType } from './body.ts';
import { OPENAPI_PATH, openApiDocument, PUBLISH_STREAM_PATH } from './openapi.ts';
import { servePublishStream } from './publish-stream.ts';
import { requestIdOf } from './request-id.ts';
import { sendError, sendJson } from './respond.ts';

const MAX_BROADCAST_CHANNELS = 1_000;
const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

type Handler = (body: Record<string, unknown>) => Promise<unknown>;

/** `publish` keys may publish and broadcast; `admin` keys may do everything. */
export type Scope = 'publish' | 'admin';
/** What a valid key grants: its scope, and an id for its rate bucket. */
type Grant = { readonly scope: Scope; readonly id: string };

interface Route {
  readonly method: 'GET' | 'POST';
  readonly scope: Scope;
  readonly handler: Handler;
}

const NDJSON = 'application/x-ndjson';

export interface ApiKeys {
  readonly admin: readonly string[];
  readonly publish: readonly string[];
}

const SWEEP_MS = 10_000;

/**
 * The HTTP API for app backends, under `/api/`. Every request carries an API key (`Authorization: Bearer …`);
 * bodies are JSON objects; every error is `{"error":{"code","message"}}` with the code's status.
 */
export class Api {
  readonly #node: SwitchboardNode;
  /** Each key's bytes, a view of `#scratch` as long as it, and what it grants (built once, never per request). */
  readonly #keys: { readonly key: Buffer; readonly view: Buffer; readonly grant: Grant }[];
  /** Where a presented key is written to be compared: longer than any key by a UTF-8 character at least. */
  readonly #scratch: Buffer;
  readonly #longestKey: number;
  readonly #routes: ReadonlyMap<string, Route>;
  readonly #tickets: TicketStore;
  readonly #rate: KeyedLimiter;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #durations = new Map<string, Map<number, LatencySeries>>();
  /** The OpenAPI document's JSON, built on first request. */
  #openapi: string | undefined;

  constructor(node: SwitchboardNode, keys: ApiKeys, tickets: TicketStore) {
    this.#node = node;
    this.#tickets = tickets;
    const all = [
      ...keys.admin.map((k) => ({ key: Buffer.from(k), scope: 'admin' as const })),
      ...keys.publish.map((k) => ({ key: Buffer.from(k), scope: 'publish' as const })),
    ];
    this.#longestKey = Math.max(0, ...all.map((k) => k.key.length));
    this.#scratch = Buffer.alloc(this.#longestKey + 4);
    this.#keys = all.map(({ key, scope }, i) => ({
      key,
      view: this.#scratch.subarray(0, key.length),
      grant: { scope, id: String(i) },
    }));
    this.#rate = new KeyedLimiter(node.config.limits.apiRate, 10_000);
    if (this.#rate.enabled) {
      this.#timer = setInterval(() => this.#rate.sweep(Date.now()), SWEEP_MS);
      this.#timer.unref();
    }
    this.#routes = new Map<string, Route>([
      ['/api/publish', { method: 'POST', scope: 'publish', handler: (b) => this.#publish(b) }],
      [
        PUBLISH_STREAM_PATH,
        {
          method: 'POST',
          scope: 'publish',
          handler: () => Promise.reject(new SwitchboardError('internal', 'a stream is not one body')),
        },
      ],
      ['/api/broadcast', { method: 'POST', scope: 'publish', handler: (b) => this.#broadcast(b) }],
      ['/api/history', { method: 'POST', scope: 'admin', handler: (b) => this.#history(b) }],
      ['/api/presence', { method: 'POST', scope: 'admin', handler: (b) => this.#presence(b) }],
      ['/api/channels', { method: 'GET', scope: 'admin', handler: async () => this.#channels() }],
      ['/api/disconnect', { method: 'POST', scope: 'admin', handler: (b) => this.#disconnect(b) }],
      ['/api/tickets', { method: 'POST', scope: 'admin', handler: async (b) => this.#ticket(b) }],
    ]);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The routes this API serves, as `[path, method]` (tests/e2e/openapi.test.ts checks each is described). */
  routes(): [path: string, method: string][] {
    return [...this.#routes].map(([path, r]) => [path, r.method]);
  }

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const started = performance.now();
    try {
      await this.#handle(req, res, pathname);
    } finally {
      // Unknown paths share one label, so a scan of made-up paths cannot grow the metric's series.
      const route = this.#routes.has(pathname) || pathname === OPENAPI_PATH ? pathname : 'other';
      this.#duration(route, res.statusCode).observe((performance.now() - started) / 1000);
    }
  }

  /** The API duration histogram's series for a route and status, resolved once per pair (both sets are small). */
  #duration(route: string, status: number): LatencySeries {
    let byStatus = this.#durations.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.#durations.set(route, byStatus);
    }
    let series = byStatus.get(status);
    if (series === undefined) {
      series = this.#node.metrics.apiDuration.series(route, String(status));
      byStatus.set(status, series);
    }
    return series;
  }

  async #handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (pathname === OPENAPI_PATH) {
      if (req.method !== 'GET') return sendError(res, 'method_not_allowed', 'use GET', { allow: 'GET' });
      this.#openapi ??= JSON.stringify(openApiDocument());
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(this.#openapi);
      return;
    }
    try {
      const route = this.#routes.get(pathname);
      if (route === undefined) throw new SwitchboardError('not_found', 'no such API endpoint');
      const key = this.#authorized(req.headers.authorization);
      if (key === null) {
        this.#node.metrics.refused.inc({ reason: 'unauthorized' });
        return sendError(res, 'unauthorized', 'a valid API key is required', {
          'www-authenticate': 'Bearer',
        });
      }
      if (route.scope === 'admin' && key.scope !== 'admin') {
        this.#node.metrics.refused.inc({ reason: 'forbidden' });
        return sendError(res, 'forbidden', 'this API key may only publish');
      }
      if (!this.#rate.take(key.id, Date.now())) {
        this.#node.metrics.rateLimited.inc({ limit: 'api' });
        return sendError(res, 'too_many_requests', 'too many requests with this API key; retry later', {
          'retry-after': '1',
        });
      }
      if (req.method !== route.method) {
        return sendError(res, 'method_not_allowed', `use ${route.method}`, { allow: route.method });
      }
      if (pathname === PUBLISH_STREAM_PATH) return await this.#stream(req, res, key);
      let body: Record<string, unknown>;
      if (route.method !== 'POST') body = {};
      else {
        const type = req.headers['content-type'];
        if (pathname === '/api/publish' && isOctetStream(type)) body = await this.#bytesBody(req);
        else {
          // The body's type is checked before it is read; its bytes are then parsed here, in this same step.
          refuseFormType(type);
          const bytes = await readBody(req, this.#node.config.api.maxBodyBytes);
          body = asObject(parseJsonBody(bytes, this.#node.config.limits.maxJsonDepth));
        }
      }
      // A backend's `traceparent` is the parent of what the request does (the publish span, for one). With no
      // tracing SDK there is no span to parent and the context would be the empty one: the handler runs as it is.
      const answer = tracingEnabled()
        ? withRequestContext(req.headers, () => route.handler(body))
        : route.handler(body);
      sendJson(res, 200, await answer);
    } catch (err) {
      const e = toSwitchboardError(err);
      if (e.code === 'internal')
        this.#node.logger.error({ err, path: pathname, req: requestIdOf(res) }, 'API request failed');
      this.#node.metrics.errors.inc({ code: e.code });
      // After an oversize or unreadable body the rest of it may still be arriving: close instead of reading it.
      // (HTTP/2 has no `Connection` header: the stream ends with the answer, its connection lives on.)
      const close =
        (e.code === 'payload_too_large' || e.code === 'invalid_json') && req.httpVersionMajor < 2
          ? { connection: 'close' }
          : {};
      sendError(res, e.code, e.message, close);
    }
  }

  /**
   * `POST /api/publish/stream`: each line of the body is published as `/api/publish` would publish it (its own
   * rate token, limits, idempotency key), answered in order on the streamed response.
   */
  async #stream(req: IncomingMessage, res: ServerResponse, key: Grant): Promise<void> {
    const type = req.headers['content-type'];
    if (type === undefined || !/^application\/x-ndjson\s*(;|$)/i.test(type))
      throw new SwitchboardError(
        'unsupported_media_type',
        `the body must be newline-delimited JSON: send the header Content-Type: ${NDJSON}`,
      );
    const id = requestIdOf(res);
    res.writeHead(200, [
      'content-type',
      `${NDJSON}; charset=utf-8`,
      'cache-control',
      'no-store',
      ...(id === undefined || res.hasHeader('x-request-id') ? [] : ['x-request-id', id]),
    ]);
    const { maxBodyBytes } = this.#node.config.api;
    const { maxJsonDepth } = this.#node.config.limits;
    const context = req.headers;
    await servePublishStream(req, res, {
      maxLineBytes: maxBodyBytes,
      countError: (code) => this.#node.metrics.errors.inc({ code }),
      publish: (bytes) => {
        if (!this.#rate.take(key.id, Date.now())) {
          this.#node.metrics.rateLimited.inc({ limit: 'api' });
          return Promise.reject(
            new SwitchboardError('too_many_requests', 'too many requests with this API key; retry later'),
          );
        }
        try {
          const body = asObject(parseJsonBody(bytes, maxJsonDepth));
          return withRequestContext(context, () => this.#publish(body));
        } catch (err) {
          return Promise.reject(err);
        }
      },
    });
  }

  /**
   * A publish of bytes (`Content-Type: application/octet-stream`): the body is the payload as it is, and the
   * channel and idempotency key come from the query (`channel`, `idempotencyKey`) or the headers
   * (`X-Switchboard-Channel`, `Idempotency-Key`); the query wins when both are given.
   */
  async #bytesBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    const query = new URL(req.url ?? '/', 'http://h').searchParams;
    const channel = query.get('channel') ?? header(req, 'x-switchboard-channel');
    const key = query.get('idempotencyKey') ?? header(req, 'idempotency-key');
    const data = await readBody(req, this.#node.config.api.maxBodyBytes);
    return {
      data,
      ...(channel === undefined ? {} : { channel }),
      ...(key === undefined ? {} : { idempotencyKey: key }),
    };
  }

  /**
   * The presented key's scope and an id for its rate bucket (its position, never the key itself), or null. The
   * key is written into one buffer kept for the purpose and compared with every key, in constant time per key,
   * so timing says nothing about which key or how close; nothing is allocated per request.
   */
  #authorized(header: string | undefined): Grant | null {
    if (header === undefined || !header.startsWith('Bearer ')) return null;
    const presented = header.slice(7).trim();
    // A UTF-8 key is at least as many bytes as the string has UTF-16 units: a longer string matches no key.
    if (presented.length > this.#longestKey) return null;
    // The scratch buffer has room for 4 bytes more than the longest key, so a string that did not fit whole
    // wrote more than the longest key's length and matches none.
    const written = this.#scratch.write(presented, 'utf8');
    let found: Grant | null = null;
    for (const { key, view, grant } of this.#keys) {
      if (key.length === written && timingSafeEqual(key, view)) found = grant;
    }
    return found;
  }

  /**
   * `{"user"?, "claims"?: {info?, subscribe?, publish?, presence?, exp?}}` → a single-use SSE ticket. The
   * claims read as a token's would; `exp` (seconds since the epoch) bounds the stream the ticket opens.
   */
  #ticket(body: Record<string, unknown>): unknown {
    const { user, claims = {} } = body;
    if (user !== undefined && typeof user !== 'string')
      throw new SwitchboardError('bad_request', 'user must be a string');
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
      throw new SwitchboardError('bad_request', 'claims must be an object');
    const c = claims as Record<string, unknown>;
    if (c.exp !== undefined && (typeof c.exp !== 'number' || !Number.isFinite(c.exp)))
      throw new SwitchboardError('bad_request', 'claims.exp must be seconds since the epoch');
    const identity = claimsIdentity(
      { ...c, ...(user === undefined ? {} : { sub: user }) },
      typeof c.exp === 'number' ? c.exp * 1000 : null,
    );
    if (identity === null)
      throw new SwitchboardError(
        'bad_request',
        'user must be 1 to 255 characters; subscribe/publish/presence arrays of channel patterns; info at most 2kb',
      );
    return this.#tickets.issue(identity, Date.now());
  }

  async #publish(body: Record<string, unknown>): Promise<unknown> {
    const channel = body.channel;
    this.#node.assertChannel(channel);
    const { publication, duplicate } = await this.#node.publish(
      channel,
      dataOf(body),
      idempotency(body),
      'api',
    );
    return {
      channel,
      epoch: publication.epoch,
      offset: publication.offset,
      ...(duplicate ? { duplicate } : {}),
    };
  }

  async #broadcast(body: Record<string, unknown>): Promise<unknown> {
    const channels = body.channels;
    if (!Array.isArray(channels) || channels.length === 0 || channels.length > MAX_BROADCAST_CHANNELS) {
      throw new SwitchboardError(
        'bad_request',
        `channels must be an array of 1 to ${MAX_BROADCAST_CHANNELS} channel names`,
      );
    }
    for (const c of channels) this.#node.assertChannel(c);
    const data = dataOf(body);
    const key = idempotency(body);
    // Serialized once for every channel: one JSON.stringify, and one string shared by all their histories.
    const payload = Payload.of(data);
    // One call for all the channels: with the memory engine, one engine call and one promise for the broadcast.
    const published = await this.#node.broadcast(channels as string[], payload, key, 'api');
    const results = published.map((r, i) => {
      const channel = channels[i] as string;
      return r instanceof SwitchboardError
        ? { channel, error: { code: r.code, message: r.message } }
        : { channel, epoch: r.publication.epoch, offset: r.publication.offset };
    });
    return { results };
  }

  async #history(body: Record<string, unknown>): Promise<unknown> {
    const channel = body.channel;
    this.#node.assertChannel(channel);
    const since = body.since === undefined ? undefined : parsePosition(body.since);
    if (since === null)
      throw new SwitchboardError('bad_position', 'since must be {"epoch": string, "offset": integer >= 0}');
    const limit = body.limit;
    if (limit !== undefined && (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0)) {
      throw new SwitchboardError('bad_request', 'limit must be an integer >= 0');
    }
    const result = await this.#node.history(channel, {
      ...(since ? { since } : {}),
      ...(limit === undefined ? {} : { limit: limit as number }),
    });
    return {
      channel,
      epoch: result.top.epoch,
      offset: result.top.offset,
      ...(since ? { recovered: result.recovered } : {}),
      publications: result.publications.map(publicationView),
    };
  }

  async #presence(body: Record<string, unknown>): Promise<unknown> {
    const channel = body.channel;
    this.#node.assertChannel(channel);
    return { channel, clients: await this.#node.presence(channel) };
  }

  #channels(): unknown {
    const channels = [...this.#node.hub.channels()].map(([channel, subscribers]) => ({
      channel,
      subscribers,
    }));
    return { channels };
  }

  async #disconnect(body: Record<string, unknown>): Promise<unknown> {
    const { client, user, reconnect } = body;
    if (client !== undefined && typeof client !== 'string')
      throw new SwitchboardError('bad_request', 'client must be a string');
    if (user !== undefined && typeof user !== 'string')
      throw new SwitchboardError('bad_request', 'user must be a string');
    if (client === undefined && user === undefined)
      throw new SwitchboardError('bad_request', 'give a client or a user');
    if (reconnect !== undefined && typeof reconnect !== 'boolean') {
      throw new SwitchboardError('bad_request', 'reconnect must be a boolean');
    }
    const d = disconnectFor(reconnect === false ? 'disconnected' : 'reconnect_requested');
    const target = { ...(client === undefined ? {} : { client }), ...(user === undefined ? {} : { user }) };
    const disconnected = this.#node.disconnect(target, d);
    if (disconnected === 0) throw new SwitchboardError('not_found', 'no such connection on this node');
    return { disconnected };
  }
}

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SwitchboardError('bad_request', 'the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** The payload: `data` (a JSON value, or the bytes of an octet-stream body) or `data_b64` decoded to bytes. */
function dataOf(body: Record<string, unknown>): unknown {
  const hasData = Object.hasOwn(body, 'data');
  if (hasData === Object.hasOwn(body, 'data_b64'))
    throw new SwitchboardError('bad_request', 'data or data_b64 is required (not both)');
  if (hasData) return body.data;
  const bytes = typeof body.data_b64 === 'string' ? decodeBase64(body.data_b64) : null;
  if (bytes === null)
    throw new SwitchboardError('bad_request', 'data_b64 must be standard base64 with padding');
  return bytes;
}

function isOctetStream(type: string | undefined): boolean {
  return type !== undefined && /^application\/octet-stream\s*(;|$)/i.test(type);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function idempotency(body: Record<string, unknown>): { idempotencyKey?: string } {
  const key = body.idempotencyKey;
  if (key === undefined) return {};
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new SwitchboardError('bad_request', 'idempotencyKey must be a string of 1 to 128 characters');
  }
  return { idempotencyKey: key };
}
