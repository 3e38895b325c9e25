import { jsonProblem, type ServerFrame } from '@switchboard/protocol';
import type { RawData } from 'ws';
import type { Identity } from '../../auth/types.ts';
import { pusherKindOf } from '../../config/pusher-apps.ts';
import type { PusherApp } from '../../config/types.ts';
import type { SwitchboardNode } from '../../core/node.ts';
import type { ReplySink } from '../../core/reply.ts';
import type { Session } from '../../core/session.ts';
import { disconnectFor, toSwitchboardError } from '../../errors.ts';
import { InboundMeter } from '../../limits/inbound.ts';
import { bucketFor, type TokenBucket } from '../../limits/rate.ts';
import { hubChannel } from '../../transport/pusher/names.ts';
import type { Roster } from '../../transport/pusher/roster.ts';
import type { PusherTransport } from '../../transport/pusher/transport.ts';
import { channelAuthValid, userAuthValid } from './signatures.ts';
import type { PusherWebhooks } from './webhooks.ts';

/**
 * What a Pusher connection is to the hub: it subscribes any channel the endpoint lets it (public ones freely,
 * the others after their signature checked here), so its permissions are the endpoint's, not a token's.
 */
export function pusherIdentity(user: string | null, info?: unknown): Identity {
  return {
    user,
    authenticated: true,
    expiresAt: null,
    permissions: { subscribe: ['*'], publish: [], presence: ['*'] },
    ...(info === undefined ? {} : { info }),
  };
}

/** A parsed Pusher message from the client. */
interface Incoming {
  readonly event: string;
  readonly channel?: unknown;
  readonly data?: unknown;
}

/**
 * One Pusher connection's messages: `pusher:subscribe` / `unsubscribe` (with channel authorizations),
 * `pusher:signin`, `pusher:ping`, and client events; each turned into the session's subscribe and unsubscribe
 * and the node's publish. Answers are Pusher events on the connection's transport.
 */
export class PusherConnection {
  readonly #node: SwitchboardNode;
  readonly #app: PusherApp;
  readonly #session: Session;
  readonly #transport: PusherTransport;
  readonly #roster: Roster;
  readonly #clientEvents: TokenBucket | null;
  readonly #inbound: InboundMeter;
  readonly #maxDepth: number;
  readonly #webhooks: PusherWebhooks;
  /** Subscriptions live or in flight: hub channel -> Pusher name (for the webhooks sent when they end). */
  readonly #channels = new Map<string, string>();
  /** The user a sign-in or a presence authorization made this connection, once one did. */
  #user: string | null = null;
  #signedIn = false;

  constructor(
    node: SwitchboardNode,
    app: PusherApp,
    session: Session,
    transport: PusherTransport,
    roster: Roster,
    webhooks: PusherWebhooks,
  ) {
    this.#webhooks = webhooks;
    this.#node = node;
    this.#app = app;
    this.#session = session;
    this.#transport = transport;
    this.#roster = roster;
    const now = Date.now();
    this.#clientEvents = bucketFor(node.config.pusher.clientEventRate, now);
    const { limits } = node.config;
    this.#inbound = new InboundMeter(limits.commandRate, limits.errorRate, now);
    this.#maxDepth = limits.maxJsonDepth;
  }

  get socketId(): string {
    return this.#session.id;
  }

  /**
   * One message from the client, metered before it is read (`InboundMeter`): past `limits.commandRate` it is
   * refused, and a refused or unreadable message is a fault; past `limits.errorRate` the connection is closed.
   */
  async message(raw: RawData, isBinary: boolean): Promise<void> {
    if (!this.#session.open) return;
    const admission = this.#inbound.admit(Date.now());
    if (admission !== 'read') {
      this.#node.metrics.rateLimited.inc({ limit: 'command' });
      if (admission === 'close') return this.#session.disconnect(disconnectFor('too_many_errors'));
      return this.#error(null, 'too many messages; slow down');
    }
    if (isBinary) return this.#unreadable('send JSON text');
    const text = String(raw);
    const problem = jsonProblem(text, this.#maxDepth);
    if (problem !== null) return this.#unreadable(problem);
    const m = parse(text);
    if (m === null) return this.#unreadable('messages are JSON objects with a string "event"');
    const data =
      typeof m.data === 'string' && m.event.startsWith('pusher:')
        ? parseObject(m.data, this.#maxDepth)
        : m.data;
    switch (m.event) {
      case 'pusher:ping':
        return this.#transport.event({ event: 'pusher:pong', data: {} });
      case 'pusher:pong':
        return;
      case 'pusher:subscribe':
        return this.#subscribe(data);
      case 'pusher:unsubscribe':
        return this.#unsubscribe(data);
      case 'pusher:signin':
        return this.#signin(data);
      default:
        if (m.event.startsWith('client-')) return this.#clientEvent(m);
        return this.#unreadable(`unknown event: events the hub takes are pusher:… and client-…`);
    }
  }

  async #subscribe(data: unknown): Promise<void> {
    const d = (data ?? {}) as Record<string, unknown>;
    const name = d.channel;
    if (typeof name !== 'string') return this.#error(null, 'pusher:subscribe needs a channel');
    const channel = hubChannel(name);
    if (channel === null) return this.#subscriptionError(name, 'InvalidChannel', 'invalid channel name', 400);
    // Subscribing again to a channel this connection has or is subscribing to (a client that lost track)
    // changes nothing. Held from here, so a repeat while this one is checked and made is ignored too.
    if (this.#channels.has(channel)) return;
    this.#channels.set(channel, name);
    const live = await this.#join(d, name, channel);
    if (!live && this.#channels.get(channel) === name) this.#channels.delete(channel);
  }

  /** Checks the subscription's credentials and subscribes; true once live. */
  async #join(d: Record<string, unknown>, name: string, channel: string): Promise<boolean> {
    const kind = pusherKindOf(name);
    if (name.startsWith('#server-to-user-')) {
      if (!this.#signedIn || channel !== `server-to-user#${this.#user}`)
        return this.#refused(name, 'AuthError', 'sign in as this user first', 403);
    } else if (kind.authorized) {
      let channelData: string | undefined;
      if (kind.presence) {
        if (typeof d.channel_data !== 'string')
          return this.#refused(name, 'AuthError', 'presence channels need channel_data', 401);
        channelData = d.channel_data;
      }
      if (!channelAuthValid(this.#app, this.socketId, name, d.auth, channelData))
        return this.#refused(name, 'AuthError', 'invalid authorization signature', 401);
      if (channelData !== undefined) {
        const member = parseObject(channelData, this.#maxDepth);
        const user = member?.user_id;
        const id = typeof user === 'number' && Number.isFinite(user) ? String(user) : user;
        if (typeof id !== 'string' || id === '')
          return this.#refused(name, 'AuthError', 'channel_data needs a user_id', 401);
        if (this.#user !== null && this.#user !== id)
          return this.#refused(name, 'AuthError', 'one user per connection', 403);
        if (this.#user === null) {
          this.#user = id;
          this.#session.assume(pusherIdentity(id, member!.user_info));
        }
      }
    }
    if (kind.presence && !(await this.#roomOnPresence(channel)))
      return this.#refused(name, 'LimitReached', 'the presence channel has its most members', 403);
    if (!this.#session.open) return false;
    if (kind.presence) this.#roster.start(channel);
    let answer: ServerFrame | undefined;
    const sink: ReplySink = {
      reply: (frame) => {
        answer = frame;
        // Sent before the first publication (the cache channel's last event) is written.
        if (frame.type === 'subscribed' && !kind.presence) {
          this.#transport.event({
            event: 'pusher_internal:subscription_succeeded',
            channel: name,
            data: '{}',
          });
          if (kind.cache && frame.offset === 0)
            this.#transport.event({ event: 'pusher:cache_miss', channel: name });
        }
      },
    };
    const live = await this.#session.subscribe({ channel, noEcho: true }, sink);
    if (!live) {
      this.#roster.end(channel);
      if (answer?.type === 'error') {
        const status = answer.code === 'unauthorized' ? 401 : answer.code === 'forbidden' ? 403 : 400;
        return this.#refused(name, 'SubscriptionError', answer.message, status);
      }
      return false;
    }
    if (this.#webhooks.wants(this.#app)) this.#occupancy(channel, name, 'joined');
    if (kind.presence)
      await this.#presenceSucceeded(
        name,
        channel,
        kind.cache && answer?.type === 'subscribed' && answer.offset === 0,
      );
    return true;
  }

  #refused(channel: string, type: string, error: string, status: number): false {
    this.#subscriptionError(channel, type, error, status);
    return false;
  }

  /** Whether this connection's user may join `channel`: already a member, or under `pusher.maxPresenceMembers`. */
  async #roomOnPresence(channel: string): Promise<boolean> {
    const entries = await this.#node.presence(channel);
    const users = new Set<string>();
    for (const e of entries) if (e.user !== null) users.add(e.user);
    return (
      (this.#user !== null && users.has(this.#user)) ||
      users.size < this.#node.config.pusher.maxPresenceMembers
    );
  }

  async #presenceSucceeded(name: string, channel: string, cacheMiss: boolean): Promise<void> {
    let entries: Awaited<ReturnType<SwitchboardNode['presence']>>;
    try {
      entries = await this.#node.presence(channel);
    } catch (err) {
      this.#node.logFailure('pusher presence listing failed', err, { channel });
      entries = [];
    }
    if (!this.#session.open) return;
    const ready = this.#roster.ready(channel, entries, this.#session.clientInfo);
    if (ready === null) return;
    this.#transport.event({
      event: 'pusher_internal:subscription_succeeded',
      channel: name,
      data: JSON.stringify({ presence: ready.listing }),
    });
    if (cacheMiss) this.#transport.event({ event: 'pusher:cache_miss', channel: name });
    for (const e of ready.events)
      this.#transport.event({ ...e, channel: name, data: JSON.stringify(e.data) });
  }

  #unsubscribe(data: unknown): void {
    const name = (data as Record<string, unknown> | null)?.channel;
    if (typeof name !== 'string') return this.#error(null, 'pusher:unsubscribe needs a channel');
    const channel = hubChannel(name);
    if (channel === null) return;
    this.#roster.end(channel);
    if (this.#channels.delete(channel) && this.#webhooks.wants(this.#app))
      this.#occupancy(channel, name, 'left');
    // Pusher answers nothing, and unsubscribing a channel not subscribed is not an error.
    this.#session.unsubscribe(channel, undefined, { reply: () => {} });
  }

  #signin(data: unknown): void {
    const d = (data ?? {}) as Record<string, unknown>;
    const userData = d.user_data;
    const user = typeof userData === 'string' ? parseObject(userData, this.#maxDepth) : null;
    const id = user?.id;
    if (
      typeof userData !== 'string' ||
      typeof id !== 'string' ||
      id === '' ||
      !userAuthValid(this.#app, this.socketId, d.auth, userData)
    ) {
      this.#node.metrics.refused.inc({ reason: 'unauthorized' });
      return this.#error(4009, 'sign-in refused: invalid user authentication');
    }
    if (this.#user !== null && this.#user !== id)
      return this.#error(4009, 'sign-in refused: one user per connection');
    this.#user = id;
    this.#signedIn = true;
    this.#session.assume(pusherIdentity(id, user!.user_info));
    this.#transport.event({ event: 'pusher:signin_success', data: JSON.stringify({ user_data: userData }) });
  }

  async #clientEvent(m: Incoming): Promise<void> {
    const name = m.channel;
    if (typeof name !== 'string') return this.#error(null, 'a client event needs a channel');
    const channel = hubChannel(name);
    const kind = pusherKindOf(name);
    if (channel === null || !kind.authorized || kind.encrypted || name.startsWith('#'))
      return this.#error(null, 'client events go to private and presence channels only');
    if (![...this.#session.channels()].includes(channel))
      return this.#error(null, 'subscribe to the channel before sending client events to it');
    if (this.#clientEvents !== null && !this.#clientEvents.take(Date.now())) {
      this.#node.metrics.rateLimited.inc({ limit: 'client_event' });
      return this.#error(4301, 'client event rejected: rate limit');
    }
    const envelope =
      kind.presence && this.#user !== null
        ? { event: m.event, data: m.data ?? null, user_id: this.#user }
        : { event: m.event, data: m.data ?? null };
    try {
      await this.#node.publish(channel, envelope, { info: this.#session.clientInfo }, 'client');
      this.#webhooks.emit(this.#app, {
        name: 'client_event',
        channel: name,
        event: m.event,
        data: typeof m.data === 'string' ? m.data : JSON.stringify(m.data ?? null),
        socket_id: this.socketId,
        ...(envelope.user_id === undefined ? {} : { user_id: envelope.user_id }),
      });
    } catch (err) {
      this.#error(null, `client event refused: ${toSwitchboardError(err).message}`);
    }
  }

  #subscriptionError(channel: string, type: string, error: string, status: number): void {
    this.#node.metrics.errors.inc({
      code: status === 400 ? 'bad_request' : status === 401 ? 'unauthorized' : 'forbidden',
    });
    this.#transport.event({ event: 'pusher:subscription_error', channel, data: { type, error, status } });
  }

  /** A message that cannot be read: answered while the error budget lasts, else the connection is closed. */
  #unreadable(message: string): void {
    if (this.#inbound.fault(Date.now())) return this.#error(null, message);
    this.#session.disconnect(disconnectFor('too_many_errors'));
  }

  #error(code: number | null, message: string): void {
    if (this.#session.open) this.#transport.event({ event: 'pusher:error', data: { code, message } });
  }

  /** The connection closed: its channels' webhooks (vacated, member removed), as if each was unsubscribed. */
  closed(): void {
    if (!this.#webhooks.wants(this.#app)) return;
    for (const [channel, name] of this.#channels) this.#occupancy(channel, name, 'left');
    this.#channels.clear();
  }

  /**
   * Webhooks for this connection joining or leaving `channel`: occupied / vacated when no other connection (on
   * any node, by the engine's presence) is subscribed, member_added / member_removed when no other connection of
   * the same user is on the presence channel. Asked after the fact, so this connection's own entry is left out.
   */
  #occupancy(channel: string, name: string, change: 'joined' | 'left'): void {
    const self = this.#session.id;
    const user = this.#user;
    const work = async () => {
      let others: number;
      let sameUser = 0;
      if (this.#node.channelOptions(channel).presence) {
        const entries = (await this.#node.presence(channel)).filter((e) => e.client !== self);
        others = entries.length;
        sameUser = entries.filter((e) => e.user !== null && e.user === user).length;
      } else {
        others = Math.max(0, this.#node.hub.subscriberCount(channel) - (change === 'joined' ? 1 : 0));
      }
      if (pusherKindOf(name).presence && user !== null && sameUser === 0)
        this.#webhooks.emit(this.#app, {
          name: change === 'joined' ? 'member_added' : 'member_removed',
          channel: name,
          user_id: user,
        });
      if (others === 0)
        this.#webhooks.emit(this.#app, {
          name: change === 'joined' ? 'channel_occupied' : 'channel_vacated',
          channel: name,
        });
    };
    work().catch((err: unknown) => this.#node.logFailure('pusher webhook check failed', err, { channel }));
  }

  /** The client did not answer pings in time (4201). */
  timedOut(): void {
    this.#session.disconnect(disconnectFor('heartbeat_timeout'));
  }

  /** The hub ends the connection for a reason of its own (a protocol failure on it). */
  fail(err: unknown): void {
    this.#node.logFailure('pusher message failed', err, { client: this.socketId });
    this.#session.disconnect(disconnectFor('server_error'));
  }
}

function parse(text: string): Incoming | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const o = value as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || typeof o.event !== 'string') return null;
  return o as unknown as Incoming;
}

/** A JSON object inside a message's string (`data`, `channel_data`, `user_data`), within the depth limit. */
function parseObject(text: string, maxDepth: number): Record<string, unknown> | null {
  if (jsonProblem(text, maxDepth) !== null) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
