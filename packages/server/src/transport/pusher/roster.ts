import type { ClientInfo, JoinFrame, LeaveFrame } from '@switchboard/protocol';

/** A Pusher presence event for one connection: `pusher_internal:member_added` / `member_removed`. */
export interface MemberEvent {
  readonly event: 'pusher_internal:member_added' | 'pusher_internal:member_removed';
  readonly channel: string;
  readonly data: { readonly user_id: string; readonly user_info?: unknown };
}

/** Pusher's presence listing: `{presence: {ids, hash, count}}`. */
export interface PresenceListing {
  readonly ids: string[];
  readonly hash: Record<string, unknown>;
  readonly count: number;
}

/** Joins and leaves held per channel while its listing is read; past this many the oldest are dropped. */
const MAX_QUEUED = 1_000;

interface Members {
  ready: boolean;
  /** User id -> the connections (hub client ids) it is present with. */
  readonly users: Map<string, Map<string, unknown>>;
  queued: (JoinFrame | LeaveFrame)[];
}

/**
 * One Pusher connection's view of its presence channels' members. The hub announces every connection that joins
 * or leaves; Pusher announces users: `member_added` when a user's first connection joins, `member_removed` when
 * its last one leaves, never about the connection itself. Joins and leaves that arrive before the listing are
 * held and applied after it, so none is lost or told twice.
 */
export class Roster {
  readonly #self: string;
  readonly #channels = new Map<string, Members>();

  constructor(selfClient: string) {
    this.#self = selfClient;
  }

  /** A presence subscription starts: track its joins and leaves from now on. */
  start(channel: string): void {
    this.#channels.set(channel, { ready: false, users: new Map(), queued: [] });
  }

  end(channel: string): void {
    this.#channels.delete(channel);
  }

  /**
   * The channel's members as listed (with `self` among them whatever the listing says): Pusher's listing, and the
   * events for what arrived while it was read and is not in it.
   */
  ready(
    channel: string,
    entries: readonly ClientInfo[],
    self: ClientInfo,
  ): { listing: PresenceListing; events: MemberEvent[] } | null {
    const m = this.#channels.get(channel);
    if (m === undefined) return null;
    for (const e of [...entries, self]) if (e.user !== null) add(m, e);
    m.ready = true;
    const events: MemberEvent[] = [];
    for (const frame of m.queued) {
      const event = this.#apply(m, frame);
      if (event !== null) events.push(event);
    }
    m.queued = [];
    const hash: Record<string, unknown> = {};
    for (const [user, clients] of m.users) hash[user] = firstInfo(clients) ?? null;
    const ids = [...m.users.keys()];
    return { listing: { ids, hash, count: ids.length }, events };
  }

  /** A join or leave on a tracked channel: the Pusher event to send, if any. */
  membership(frame: JoinFrame | LeaveFrame, pusherName: string): MemberEvent | null {
    const m = this.#channels.get(frame.channel);
    if (m === undefined || frame.client.user === null) return null;
    if (!m.ready) {
      if (m.queued.length >= MAX_QUEUED) m.queued.shift();
      m.queued.push(frame);
      return null;
    }
    const event = this.#apply(m, frame);
    return event === null ? null : { ...event, channel: pusherName };
  }

  #apply(m: Members, frame: JoinFrame | LeaveFrame): MemberEvent | null {
    const { client } = frame;
    if (client.client === this.#self || client.user === null) return null;
    const user = client.user;
    if (frame.type === 'join') {
      const known = m.users.get(user);
      if (known?.has(client.client)) return null;
      add(m, client);
      if (known !== undefined) return null;
      return { event: 'pusher_internal:member_added', channel: frame.channel, data: member(client) };
    }
    const clients = m.users.get(user);
    if (clients === undefined || !clients.delete(client.client)) return null;
    if (clients.size > 0) return null;
    m.users.delete(user);
    return { event: 'pusher_internal:member_removed', channel: frame.channel, data: { user_id: user } };
  }
}

function add(m: Members, e: ClientInfo): void {
  const user = e.user!;
  const clients = m.users.get(user) ?? new Map<string, unknown>();
  m.users.set(user, clients);
  clients.set(e.client, e.info);
}

function firstInfo(clients: Map<string, unknown>): unknown {
  for (const info of clients.values()) if (info !== undefined) return info;
  return undefined;
}

function member(c: ClientInfo): { user_id: string; user_info?: unknown } {
  return c.info === undefined ? { user_id: c.user! } : { user_id: c.user!, user_info: c.info };
}
