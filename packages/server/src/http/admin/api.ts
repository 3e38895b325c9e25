import type { IncomingMessage, ServerResponse } from 'node:http';
import { claimsIdentity } from '../../auth/claims.ts';
import type { TicketStore } from '../../auth/tickets.ts';
import type { SwitchboardNode } from '../../core/node.ts';
import type { Session } from '../../core/session.ts';
import { disconnectFor, SwitchboardError, toSwitchboardError } from '../../errors.ts';
import type { ByteTallyKind } from '../../transport/bytes-written.ts';
import { readJsonBody } from '../body.ts';
import { requestIdOf } from '../request-id.ts';
import { sendError, sendJson } from '../respond.ts';
import type { AdminKeys } from './keys.ts';
import { NodeRoster, type RosterStore } from './nodes.ts';
import { metricsSample } from './sample.ts';

/** Most rows one list answer holds; `limit` asks for fewer. */
export const MAX_ROWS = 1_000;
const DEFAULT_ROWS = 100;
/** Users shown in the "by user" tally of the connections answer. */
const TOP_USERS = 20;
/** The user the console's live streams connect as (their SSE ticket's `sub`). */
export const CONSOLE_USER = 'switchboard:admin';

/** A route's work; `req` is the request id, for the log lines of actions. */
type Handler = (url: URL, body: Record<string, unknown>, req: string | undefined) => unknown;

interface Route {
  readonly method: 'GET' | 'POST';
  readonly handler: Handler;
}

/**
 * The operators' JSON API under `/admin/api/`, behind an admin key (`admin.keys`); docs/admin.md lists it. It reads
 * this node's sessions and hub, and the engine's history and presence; it acts through the node (publish,
 * disconnect). Every list is bounded by `limit` (at most {@link MAX_ROWS}); every error is the hub's
 * `{"error":{"code","message"}}`.
 */
export class AdminApi {
  readonly #node: SwitchboardNode;
  readonly #keys: AdminKeys;
  readonly #tickets: TicketStore;
  readonly #started = Date.now();
  readonly #routes: ReadonlyMap<string, Route>;
  /** This node in the cluster's roster (the engine's presence store), while the console is on. */
  readonly #roster: NodeRoster;

  /** `roster` is where the nodes of the cluster announce themselves: the engine's presence store. */
  constructor(node: SwitchboardNode, keys: AdminKeys, tickets: TicketStore, roster: RosterStore) {
    this.#node = node;
    this.#keys = keys;
    this.#tickets = tickets;
    this.#roster = new NodeRoster(roster, () => this.#self(), node.logger);
    this.#routes = new Map<string, Route>([
      ['/admin/api/overview', { method: 'GET', handler: () => this.#overview() }],
      ['/admin/api/nodes', { method: 'GET', handler: () => this.#nodes() }],
      ['/admin/api/connections', { method: 'GET', handler: (u) => this.#connections(u) }],
      ['/admin/api/connection', { method: 'GET', handler: (u) => this.#connection(u) }],
      ['/admin/api/channels', { method: 'GET', handler: (u) => this.#channels(u) }],
      ['/admin/api/channel', { method: 'GET', handler: (u) => this.#channel(u) }],
      ['/admin/api/metrics', { method: 'GET', handler: () => metricsSample(this.#node) }],
      ['/admin/api/publish', { method: 'POST', handler: (_u, b, r) => this.#publish(b, r) }],
      ['/admin/api/disconnect', { method: 'POST', handler: (_u, b, r) => this.#disconnect(b, r) }],
      ['/admin/api/stream', { method: 'POST', handler: (_u, b) => this.#stream(b) }],
    ]);
  }

  /** Announces this node to the cluster's roster (only hubs with the console on take part). */
  start(): void {
    if (this.#keys.consoleEnabled) this.#roster.start();
  }

  async stop(): Promise<void> {
    await this.#roster.stop();
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const node = this.#node;
    try {
      const route = this.#routes.get(url.pathname);
      if (route === undefined) throw new SwitchboardError('not_found', 'no such admin endpoint');
      const scope = this.#keys.scopeOf(req.headers.authorization);
      if (scope === null) {
        node.metrics.refused.inc({ reason: 'unauthorized' });
        return sendError(res, 'unauthorized', 'an admin key is required', { 'www-authenticate': 'Bearer' });
      }
      if (scope !== 'admin') {
        node.metrics.refused.inc({ reason: 'forbidden' });
        return sendError(res, 'forbidden', 'the metrics token may only read /metrics');
      }
      if (req.method !== route.method)
        return sendError(res, 'method_not_allowed', `use ${route.method}`, { allow: route.method });
      const body =
        route.method === 'POST'
          ? asObject(await readJsonBody(req, node.config.api.maxBodyBytes, node.config.limits.maxJsonDepth))
          : {};
      sendJson(res, 200, await route.handler(url, body, requestIdOf(res)));
    } catch (err) {
      const e = toSwitchboardError(err);
      if (e.code === 'internal')
        node.logger.error({ err, path: url.pathname, req: requestIdOf(res) }, 'admin request failed');
      node.metrics.errors.inc({ code: e.code });
      const close =
        e.code === 'payload_too_large' || e.code === 'invalid_json' ? { connection: 'close' } : {};
      sendError(res, e.code, e.message, close);
    }
  }

  /** This node, and the cluster's nodes as the engine's roster has them (this node alone if it cannot be read). */
  async #overview(): Promise<unknown> {
    const self = { ...this.#self(), id: this.#roster.id };
    try {
      return { node: self, nodes: await this.#roster.list() };
    } catch (err) {
      return { node: self, nodes: [self], nodesError: toSwitchboardError(err).message };
    }
  }

  async #nodes(): Promise<unknown> {
    return { nodes: await this.#roster.list() };
  }

  /** This node: its engine, state and counts. */
  #self(): Record<string, unknown> {
    const node = this.#node;
    return {
      engine: node.engine.name,
      ready: node.engine.ready(),
      draining: node.draining,
      startedAt: this.#started,
      connections: node.connectionCount,
      byTransport: tally([...node.sessions()].map(labelOf)),
      channels: node.hub.channelCount,
      outgoingBytes: node.outgoingBytes(),
    };
  }

  #connections(url: URL): unknown {
    const transport = url.searchParams.get('transport');
    if (transport !== null && !TRANSPORTS.includes(transport as ByteTallyKind))
      throw new SwitchboardError('bad_request', `transport must be one of ${TRANSPORTS.join(', ')}`);
    const user = url.searchParams.get('user') ?? '';
    const channel = url.searchParams.get('channel');
    const limit = limitOf(url);
    const all = [...this.#node.sessions()];
    const matching = all.filter(
      (s) =>
        (transport === null || labelOf(s) === transport) &&
        (user === '' || (s.user ?? '').includes(user)) &&
        (channel === null || [...s.channels()].includes(channel)),
    );
    const users = new Map<string, number>();
    for (const s of matching) if (s.user !== null) users.set(s.user, (users.get(s.user) ?? 0) + 1);
    return {
      total: all.length,
      matching: matching.length,
      byTransport: tally(matching.map(labelOf)),
      byUser: [...users]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, TOP_USERS)
        .map(([u, connections]) => ({ user: u, connections })),
      connections: matching
        .sort((a, b) => a.connectedAt - b.connectedAt)
        .slice(0, limit)
        .map(connectionView),
    };
  }

  #connection(url: URL): unknown {
    const client = url.searchParams.get('client');
    if (client === null || client === '') throw new SwitchboardError('bad_request', 'give ?client=<id>');
    const session = this.#find(client);
    return { ...connectionView(session), subscriptions: [...session.channels()].sort() };
  }

  #find(client: string): Session {
    for (const s of this.#node.sessions()) if (s.id === client) return s;
    throw new SwitchboardError('not_found', 'no such connection on this node');
  }

  #channels(url: URL): unknown {
    const search = url.searchParams.get('search') ?? '';
    const limit = limitOf(url);
    const hub = this.#node.hub;
    const now = Date.now();
    const matching = [...hub.channels()].filter(([name]) => name.includes(search));
    return {
      total: hub.channelCount,
      matching: matching.length,
      channels: matching
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, limit)
        .map(([channel, subscribers]) => channelView(this.#node, channel, subscribers, now)),
    };
  }

  /** One channel: its traffic here, its local subscribers, its recent history and its presence (engine-wide). */
  async #channel(url: URL): Promise<unknown> {
    const node: SwitchboardNode = this.#node;
    const channel = url.searchParams.get('channel');
    node.assertChannel(channel);
    const limit = Math.min(limitOf(url, 20), node.config.limits.maxHistoryLimit);
    const options = node.channelOptions(channel);
    const history = options.history.size === 0 ? null : await node.history(channel, { limit });
    const presence = options.presence ? await node.presence(channel) : null;
    const subscribers = [...node.hub.subscribers(channel)].slice(0, MAX_ROWS).map((sub) => sub.owner.id);
    return {
      ...channelView(node, channel, node.hub.subscriberCount(channel), Date.now()),
      ...(history === null
        ? { history: null }
        : {
            top: { epoch: history.top.epoch, offset: history.top.offset },
            history: history.publications.map((p) => ({
              epoch: p.epoch,
              offset: p.offset,
              data: JSON.parse(p.data) as unknown,
              ...(p.info ? { info: p.info } : {}),
            })),
          }),
      presence,
      clients: subscribers,
    };
  }

  async #publish(body: Record<string, unknown>, req: string | undefined): Promise<unknown> {
    const node: SwitchboardNode = this.#node;
    const channel = body.channel;
    node.assertChannel(channel);
    if (!Object.hasOwn(body, 'data')) throw new SwitchboardError('bad_request', 'data is required');
    const { publication } = await this.#node.publish(channel, body.data, {}, 'admin');
    this.#node.logger.info({ req, channel, offset: publication.offset }, 'admin publish');
    return { channel, epoch: publication.epoch, offset: publication.offset };
  }

  #disconnect(body: Record<string, unknown>, req: string | undefined): unknown {
    const { client, user, reconnect } = body;
    if (client !== undefined && (typeof client !== 'string' || client === ''))
      throw new SwitchboardError('bad_request', 'client must be a non-empty string');
    if (user !== undefined && (typeof user !== 'string' || user === ''))
      throw new SwitchboardError('bad_request', 'user must be a non-empty string');
    if (client === undefined && user === undefined)
      throw new SwitchboardError('bad_request', 'give a client or a user');
    if (reconnect !== undefined && typeof reconnect !== 'boolean')
      throw new SwitchboardError('bad_request', 'reconnect must be a boolean');
    const d = disconnectFor(reconnect === true ? 'reconnect_requested' : 'disconnected');
    const target = { ...(client === undefined ? {} : { client }), ...(user === undefined ? {} : { user }) };
    const disconnected = this.#node.disconnect(target, d);
    if (disconnected === 0) throw new SwitchboardError('not_found', 'no such connection on this node');
    this.#node.logger.info({ req, ...target, disconnected }, 'admin disconnect');
    return { disconnected };
  }

  /**
   * A single-use SSE ticket for one channel, so the console's `EventSource` can follow it live (its URL carries
   * no key). The stream subscribes like any other: a channel that needs subscription tokens cannot be followed.
   */
  #stream(body: Record<string, unknown>): unknown {
    const node: SwitchboardNode = this.#node;
    const channel = body.channel;
    node.assertChannel(channel);
    const identity = claimsIdentity({ sub: CONSOLE_USER, subscribe: [channel] }, null);
    if (identity === null) throw new SwitchboardError('bad_request', 'this channel cannot be followed');
    const { ticket, expiresAt } = this.#tickets.issue(identity, Date.now());
    const query = new URLSearchParams({ channel, ticket });
    return { url: `/sse?${query}`, expiresAt };
  }
}

const TRANSPORTS: readonly ByteTallyKind[] = ['ws', 'sse', 'pusher'];

/** A session's transport as the metrics label it: `ws`, `sse` or `pusher`. */
function labelOf(s: Session): ByteTallyKind {
  if (s.transport.dialect === 'pusher') return 'pusher';
  return s.transport.kind === 'sse' ? 'sse' : 'ws';
}

function tally(labels: readonly ByteTallyKind[]): Record<ByteTallyKind, number> {
  const out: Record<ByteTallyKind, number> = { ws: 0, sse: 0, pusher: 0 };
  for (const l of labels) out[l]++;
  return out;
}

function connectionView(s: Session): Record<string, unknown> {
  return {
    client: s.id,
    user: s.user,
    transport: labelOf(s),
    connectedAt: s.connectedAt,
    channels: s.subscriptionCount,
    outgoingBytes: s.writableBytes,
  };
}

function channelView(
  node: SwitchboardNode,
  channel: string,
  subscribers: number,
  now: number,
): Record<string, unknown> {
  const stats = node.hub.stats(channel);
  return {
    channel,
    subscribers,
    published: stats?.published ?? 0,
    delivered: stats?.delivered ?? 0,
    rates: stats?.rates(now) ?? { published: 0, delivered: 0 },
    last: stats?.last ?? null,
  };
}

function limitOf(url: URL, fallback = DEFAULT_ROWS): number {
  const raw = url.searchParams.get('limit');
  if (raw === null) return fallback;
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= MAX_ROWS))
    throw new SwitchboardError('bad_request', `limit must be an integer 1..${MAX_ROWS}`);
  return n;
}

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SwitchboardError('bad_request', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}
