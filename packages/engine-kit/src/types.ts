import type { ClientInfo, Position } from '@switchboard/protocol';

/**
 * A publication with its position, as engines store and move it.
 *
 * `data` is the payload's JSON text: parsed once where it entered the hub (to validate it), then carried as text
 * so no node ever parses or re-serializes it again on the fan-out path. A payload of bytes is `b` followed by
 * their standard padded base64 (payload.ts): engines store and move `data` as it is, whichever it holds.
 */
export interface Publication {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  /** The payload as JSON text, or `b` + base64 for bytes (see `isBinaryData`). Opaque to engines. */
  readonly data: string;
  /** The publishing client, when a client (not the HTTP API) published. */
  readonly info?: ClientInfo;
  /** When the engine appended it, in milliseconds since the Unix epoch. */
  readonly time: number;
}

/** How a channel keeps its history. */
export interface HistoryPolicy {
  /** Most publications kept. 0 keeps none (positions still advance, but nothing can be recovered). */
  readonly size: number;
  /** Oldest publication kept, in milliseconds. */
  readonly ttlMs: number;
  /**
   * How long a channel's stream metadata (epoch and last offset) outlives its last publication, in milliseconds.
   * While it lives, a client at the top of the stream resumes with `recovered: true` even after every
   * publication aged out; once it is gone the next publication starts a new epoch.
   */
  readonly metaTtlMs: number;
}

export interface PublishOptions {
  readonly history: HistoryPolicy;
  /** A retried publish with the same key (within `idempotencyTtlMs`) returns the first result and delivers nothing. */
  readonly idempotencyKey?: string;
  readonly idempotencyTtlMs?: number;
  readonly info?: ClientInfo;
}

export interface PublishResult {
  readonly publication: Publication;
  /** True when `idempotencyKey` matched an earlier publish: nothing was appended or delivered this time. */
  readonly duplicate: boolean;
}

export interface HistoryQuery {
  /** Return publications after this position. */
  readonly since?: Position;
  /** At most this many publications: the oldest ones after `since`, or without `since` the newest ones. */
  readonly limit?: number;
}

export interface HistoryResult {
  /** The stream's current position (offset of its last publication, 0 for none). */
  readonly top: Position;
  /** In offset order, ascending. */
  readonly publications: Publication[];
  /**
   * With `since`: true when `since` is in the current epoch, not ahead of `top`, and every publication after it
   * is still held (so `publications`, unless cut by `limit`, is exactly what was missed). Without `since`: true.
   */
  readonly recovered: boolean;
}

/** Why an engine read a channel's history to keep its delivery complete (see `Resync`). */
export type ResyncCause =
  /** A publication arrived past the next offset: the ones between were lost on the way. */
  | 'gap'
  /** A publication arrived in a new epoch past its offset 1: the stream was reset and the new one's start lost. */
  | 'epoch'
  /** The engine's connection came back after a loss: anything published meanwhile may be missing. */
  | 'reconnect';

/**
 * The end of one catch-up from history on a channel: what the engine did when live delivery could not be trusted.
 * Reported once per catch-up, after the publications it recovered were handed on.
 */
export interface Resync {
  readonly cause: ResyncCause;
  /** The last position handed on before it; undefined when none was known yet. */
  readonly from: Position | undefined;
  /**
   * History's verdict on what was missed after `from`: false when it no longer holds all of it (trimmed by size or
   * age, the stream lost to a new epoch), or could not be read within the engine's attempts. Delivery then goes on
   * after the gap, and this node's subscribers see a jump in offsets; clients that resume later are told
   * `recovered: false` by the subscribe itself.
   */
  readonly recovered: boolean;
  /** Live publications arrived faster than the catch-up could hand them on, past the engine's bound: they were
   * dropped and read again from history (so `recovered` covers them too). */
  readonly overflowed: boolean;
  /** With `recovered: false`: why, for logs. */
  readonly reason?: string;
}

/** What the broker hands to this node. Called synchronously from the engine's delivery path; must not throw. */
export interface BrokerHandler {
  /** The channel's next publication on this node: each exactly once, in offset order (see `Broker`). */
  onPublication(publication: Publication): void;
  onJoin(channel: string, client: ClientInfo): void;
  onLeave(channel: string, client: ClientInfo): void;
  /** A catch-up from history ended (see `Resync`); when it did not recover, the hub counts and logs the gap. */
  onResync(channel: string, resync: Resync): void;
}

/**
 * Moves publications between the hub's nodes.
 *
 * Guarantees every implementation must give (the conformance suite checks them):
 * - `publish` assigns the channel's next position (offset + 1 in the current epoch) and appends to history
 *   when `history.size > 0`, atomically with handing it to delivery: no two publications get one offset, and a
 *   publication is never delivered without being in history first.
 * - **The engine owns complete, in-order delivery; the hub fills no gaps.** Per channel, each node's handler
 *   gets every publication exactly once, in offset order, whatever the transport between nodes does (loses,
 *   duplicates or reorders messages, breaks its connection). What live delivery lost the engine reads from its own
 *   history before handing on anything later, and after its connection comes back it reads what was published
 *   meanwhile even if nothing more is published. Where history no longer holds what was lost, it says so with
 *   `onResync(…, { recovered: false })` and goes on after the gap. Engines get all of this from one `Sequencer`
 *   (sequencer.ts): they feed it what arrives live and tell it when their connection came back. Across channels
 *   there is no order.
 * - `publish` resolves once the publication is stored and handed to delivery, or rejects with an
 *   `EngineError` coded `unavailable` when the backend cannot be reached. It never hangs past its timeout.
 * - A node receives only channels it subscribed to. The hub calls `subscribe` when a channel gets its first
 *   local subscriber and `unsubscribe` after its last; both are idempotent.
 */
export interface Broker {
  start(handler: BrokerHandler): Promise<void>;
  publish(channel: string, data: string, options: PublishOptions): Promise<PublishResult>;
  /**
   * Optional: one `data` published to several channels at once (a broadcast), each exactly as `publish` would
   * with `options[i]` — every guarantee of `publish` holds per channel. The results come in the channels' order;
   * a channel whose publish failed has its error in its place, and the others are published all the same. The
   * promise rejects only when none could be tried (the engine is closed). The hub calls `publish` once per
   * channel on an engine without it; an engine whose publishes complete synchronously (memory) has it, so a
   * broadcast costs one promise instead of one per channel.
   */
  publishMany?(
    channels: readonly string[],
    data: string,
    options: readonly PublishOptions[],
  ): Promise<(PublishResult | Error)[]>;
  publishJoin(channel: string, client: ClientInfo): Promise<void>;
  publishLeave(channel: string, client: ClientInfo): Promise<void>;
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Each channel's bounded stream of publications.
 *
 * Guarantees:
 * - `top` returns the current position, creating the stream's epoch if the channel has none, so two calls with
 *   no publication between them return the same position.
 * - The epoch changes only when the stream's history was lost (engine restart for memory, a lost key for Redis);
 *   it never changes while history is intact.
 * - `read` returns publications in ascending offset order, bounded by the channel's history size and age.
 */
export interface HistoryStore {
  top(channel: string): Promise<Position>;
  read(channel: string, query: HistoryQuery): Promise<HistoryResult>;
  /** Forgets the channel's stream: the next publication starts a new epoch. */
  remove(channel: string): Promise<void>;
}

/** One presence entry with its owner: the node that added it refreshes it while the subscription lives. */
export interface PresenceEntry extends ClientInfo {}

/**
 * Who is subscribed to each channel, across every node.
 *
 * Guarantees:
 * - `add` is an idempotent upsert keyed by `client`; an entry expires `ttlMs` after its last `add` unless
 *   added again, so the entries of a node that died vanish within `ttlMs` (the hub re-adds live entries well
 *   inside that time).
 * - `list` returns the live entries (expired ones excluded), in no particular order.
 * - `remove` of an absent entry is a no-op.
 */
export interface PresenceStore {
  add(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void>;
  remove(channel: string, client: string): Promise<void>;
  list(channel: string): Promise<PresenceEntry[]>;
}

/**
 * Which nodes have subscribers of each channel, across the cluster: the one place that decides when a channel
 * becomes occupied (its first node) and vacated (its last), so a cluster reports each change once, not once per
 * node.
 *
 * Guarantees:
 * - `occupy` is an atomic upsert of `(channel, node)`; it resolves true exactly when the channel had no live node
 *   before it (the caller reports `channel_occupied`). Concurrent calls from several nodes: exactly one gets true.
 * - `vacate` removes `(channel, node)` atomically; it resolves true exactly when that removed the channel's last
 *   live node (the caller reports `channel_vacated`). Removing an absent node resolves false.
 * - An entry expires `ttlMs` after its last `occupy` (nodes re-occupy their channels well inside it), so a dead
 *   node's channels become free: no `vacate` reports them, and the next `occupy` reports the channel occupied.
 */
export interface OccupancyStore {
  occupy(channel: string, node: string, ttlMs: number): Promise<boolean>;
  vacate(channel: string, node: string): Promise<boolean>;
}

/** An engine: the three roles, built over one backend, plus its lifecycle. */
export interface Engine {
  /** Short name for logs and `/readyz` (`memory`, `redis`, `nats`). */
  readonly name: string;
  readonly broker: Broker;
  readonly history: HistoryStore;
  readonly presence: PresenceStore;
  /**
   * Channel occupancy across the cluster, where the engine has it; without it the hub decides per node (right for
   * one node only).
   */
  readonly occupancy?: OccupancyStore;
  /** True while the backend is reachable; `/readyz` reports it. */
  ready(): boolean;
  close(): Promise<void>;
}

/** What an engine may log through: connection losses and recoveries (the hub's pino logger fits). */
export interface EngineLog {
  warn(context: object, message: string): void;
  info(context: object, message: string): void;
}
