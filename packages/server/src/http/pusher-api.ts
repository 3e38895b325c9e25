import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PresenceEntry } from '@switchboard/engine-kit';
import { pusherAppsOf, pusherKindOf } from '../config/pusher-apps.ts';
import type { PusherApp } from '../config/types.ts';
import type { SwitchboardNode } from '../core/node.ts';
import { requestProblem } from '../endpoints/pusher/signatures.ts';
import { disconnectFor, SwitchboardError, toSwitchboardError } from '../errors.ts';
import { hubChannel, pusherChannel } from '../transport/pusher/names.ts';
import { parseJsonBody, readBody } from './body.ts';
import { requestIdOf } from './request-id.ts';
import { sendError, sendJson } from './respond.ts';

/** Pusher's own limits on a trigger: channels per event, events per batch, event name length. */
const MAX_CHANNELS = 100;
const MAX_BATCH = 10;
const MAX_EVENT_NAME = 200;
const SOCKET_ID = /^\d{1,20}\.\d{1,20}$/;

/**
 * The Pusher Channels REST API at `/apps/{app_id}/…`, as the Pusher server SDKs call it: every request signed
 * with the app's secret (Pusher's request signing: auth_key, auth_timestamp, auth_version, body_md5,
 * auth_signature), events published as hub publications, channel and user queries answered from the hub. Every
 * refusal is the hub's coded error; a bad signature is one uniform 401.
 */
export class PusherApi {
  readonly #node: SwitchboardNode;
  readonly #apps: ReadonlyMap<string, PusherApp>;

  constructor(node: SwitchboardNode) {
    this.#node = node;
    this.#apps = new Map(pusherAppsOf(node.config).map((a) => [a.id, a]));
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      const result = await this.#route(req, url);
      sendJson(res, 200, result);
    } catch (err) {
      const e = toSwitchboardError(err);
      if (e.code === 'internal')
        this.#node.logger.error({ err, req: requestIdOf(res) }, 'pusher api request failed');
      sendError(res, e.code, e.message);
    }
  }

  async #route(req: IncomingMessage, url: URL): Promise<unknown> {
    const parts = url.pathname.split('/');
    // ['', 'apps', id, resource, ...]
    const app = this.#apps.get(decodeURIComponent(parts[2] ?? ''));
    if (app === undefined) throw new SwitchboardError('not_found', 'no such app');
    const method = req.method ?? 'GET';
    const body = method === 'POST' ? await readBody(req, this.#node.config.api.maxBodyBytes) : null;
    const problem = requestProblem(app, method, url.pathname, url.searchParams, body, Date.now());
    if (problem !== null) {
      this.#node.metrics.refused.inc({ reason: 'unauthorized' });
      this.#node.logger.debug({ app: app.id, problem }, 'pusher api signature refused');
      throw new SwitchboardError('unauthorized', 'invalid signature');
    }
    const rest = parts.slice(3).map(decodeURIComponent);
    const only = (m: string) => {
      if (method !== m) throw new SwitchboardError('method_not_allowed', `use ${m}`);
    };
    if (rest.length === 1 && rest[0] === 'events') {
      only('POST');
      return this.#events(parseJsonBody(body!, this.#node.config.limits.maxJsonDepth));
    }
    if (rest.length === 1 && rest[0] === 'batch_events') {
      only('POST');
      return this.#batch(parseJsonBody(body!, this.#node.config.limits.maxJsonDepth));
    }
    if (rest.length === 1 && rest[0] === 'channels') {
      only('GET');
      return this.#channels(url.searchParams);
    }
    if (rest.length === 2 && rest[0] === 'channels') {
      only('GET');
      return this.#channel(rest[1]!, url.searchParams);
    }
    if (rest.length === 3 && rest[0] === 'channels' && rest[2] === 'users') {
      only('GET');
      return this.#users(rest[1]!);
    }
    if (rest.length === 3 && rest[0] === 'users' && rest[2] === 'terminate_connections') {
      only('POST');
      const user = rest[1]!;
      this.#node.disconnect({ user }, disconnectFor('disconnected'));
      return {};
    }
    throw new SwitchboardError('not_found', 'no such endpoint');
  }

  async #events(body: unknown): Promise<unknown> {
    const e = eventOf(body);
    const channels = e.channels.map(hubName);
    for (const c of channels) await this.#publish(c, e);
    if (e.info === undefined) return {};
    const info: Record<string, unknown> = {};
    for (const [i, c] of channels.entries()) info[e.channels[i]!] = await this.#info(c, e.info);
    return { channels: info };
  }

  async #batch(body: unknown): Promise<unknown> {
    const batch = (body as { batch?: unknown } | null)?.batch;
    if (!Array.isArray(batch) || batch.length === 0 || batch.length > MAX_BATCH)
      throw new SwitchboardError('bad_request', `batch must be an array of 1 to ${MAX_BATCH} events`);
    const events = batch.map((b: unknown) => {
      const e = eventOf(b);
      if (e.channels.length !== 1)
        throw new SwitchboardError('bad_request', 'a batch event names one channel');
      return e;
    });
    const withInfo = events.some((e) => e.info !== undefined);
    const out: unknown[] = [];
    for (const e of events) {
      const c = hubName(e.channels[0]!);
      await this.#publish(c, e);
      if (withInfo) out.push(e.info === undefined ? {} : await this.#info(c, e.info));
    }
    return withInfo ? { batch: out } : {};
  }

  async #publish(channel: string, e: TriggeredEvent): Promise<void> {
    const envelope = { event: e.name, data: e.data };
    await this.#node.publish(
      channel,
      envelope,
      e.socketId === undefined ? {} : { info: { client: e.socketId, user: null } },
      'api',
    );
  }

  /** `subscription_count` (connections, all nodes) and `user_count` (distinct users, presence channels). */
  async #info(channel: string, wanted: readonly string[]): Promise<Record<string, unknown>> {
    const entries = await this.#entries(channel);
    const out: Record<string, unknown> = { occupied: entries.count > 0 };
    if (wanted.includes('subscription_count')) out.subscription_count = entries.count;
    if (wanted.includes('user_count') && pusherKindOf(pusherChannel(channel)).presence)
      out.user_count = entries.users.size;
    return out;
  }

  /** Who is subscribed to `channel` across nodes (from presence entries), or this node's count without them. */
  async #entries(channel: string): Promise<{ count: number; users: Set<string> }> {
    let list: PresenceEntry[] | null = null;
    if (this.#node.channelOptions(channel).presence) list = await this.#node.presence(channel);
    if (list === null) return { count: this.#node.hub.subscriberCount(channel), users: new Set() };
    const users = new Set<string>();
    for (const e of list) if (e.user !== null) users.add(e.user);
    return { count: list.length, users };
  }

  async #channels(query: URLSearchParams): Promise<unknown> {
    const prefix = query.get('filter_by_prefix') ?? '';
    const info = (query.get('info') ?? '').split(',').filter((s) => s !== '');
    if (info.includes('user_count') && !prefix.startsWith('presence-'))
      throw new SwitchboardError('bad_request', 'info=user_count needs filter_by_prefix=presence-');
    const channels: Record<string, unknown> = {};
    for (const [channel] of this.#node.hub.channels()) {
      const name = pusherChannel(channel);
      if (!name.startsWith(prefix)) continue;
      channels[name] = info.includes('user_count')
        ? { user_count: (await this.#entries(channel)).users.size }
        : {};
    }
    return { channels };
  }

  async #channel(name: string, query: URLSearchParams): Promise<unknown> {
    const channel = hubName(name);
    const info = (query.get('info') ?? '').split(',').filter((s) => s !== '');
    if (info.includes('user_count') && !pusherKindOf(name).presence)
      throw new SwitchboardError('bad_request', 'user_count is for presence channels');
    return this.#info(channel, info);
  }

  async #users(name: string): Promise<unknown> {
    const channel = hubName(name);
    if (!pusherKindOf(name).presence)
      throw new SwitchboardError('bad_request', 'users are listed for presence channels');
    const { users } = await this.#entries(channel);
    return { users: [...users].map((id) => ({ id })) };
  }
}

interface TriggeredEvent {
  readonly name: string;
  readonly data: string;
  readonly channels: readonly string[];
  readonly socketId?: string;
  readonly info?: readonly string[];
}

function eventOf(body: unknown): TriggeredEvent {
  const b = body as Record<string, unknown> | null;
  if (typeof b !== 'object' || b === null || Array.isArray(b))
    throw new SwitchboardError('bad_request', 'an event is a JSON object');
  const { name, data, socket_id: socketId, info } = b;
  if (typeof name !== 'string' || name === '' || name.length > MAX_EVENT_NAME)
    throw new SwitchboardError('bad_request', `name must be a string of 1 to ${MAX_EVENT_NAME} characters`);
  if (name.startsWith('pusher:') || name.startsWith('pusher_internal:'))
    throw new SwitchboardError('bad_request', 'event names starting pusher: are reserved');
  if (typeof data !== 'string') throw new SwitchboardError('bad_request', 'data must be a string');
  const channels = b.channels ?? (b.channel === undefined ? undefined : [b.channel]);
  if (
    !Array.isArray(channels) ||
    channels.length === 0 ||
    channels.length > MAX_CHANNELS ||
    channels.some((c) => typeof c !== 'string')
  )
    throw new SwitchboardError('bad_request', `channels must be 1 to ${MAX_CHANNELS} channel names`);
  if (socketId !== undefined && (typeof socketId !== 'string' || !SOCKET_ID.test(socketId)))
    throw new SwitchboardError('bad_request', 'socket_id must look like 1234.5678');
  if (info !== undefined && typeof info !== 'string')
    throw new SwitchboardError('bad_request', 'info must be a string');
  return {
    name,
    data,
    channels: channels as string[],
    ...(socketId === undefined ? {} : { socketId }),
    ...(info === undefined ? {} : { info: info.split(',') }),
  };
}

function hubName(name: string): string {
  const channel = hubChannel(name);
  if (channel === null)
    throw new SwitchboardError('invalid_channel', 'the channel name is not one Pusher allows');
  return channel;
}
