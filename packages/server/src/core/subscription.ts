import type { Position, ServerFrame } from '@switchboard/protocol';
import type { DeliveryOptions } from './channel-options.ts';
import { DeliveryGate } from './delivery/gate.ts';
import {
  type Continuity,
  EXPLICIT,
  FULL,
  IMPLIED,
  type PreparedFrame,
  type PreparedPublication,
} from './prepared.ts';

/** What a subscription writes to: the session's transport, seen through the session. */
export interface SubscriptionOwner {
  readonly id: string;
  /**
   * Writes a publication; `continuity` says how it follows the last one this connection was sent on the channel
   * (wire version 2 writes the next offset, or the same epoch, in fewer bytes).
   */
  sendPublication(prepared: PreparedPublication, continuity: Continuity): void;
  /** A frame prepared once for every subscriber of the channel (join / leave). */
  sendPrepared(frame: PreparedFrame): void;
  /** A frame for this subscriber alone (`skipped`). */
  send(frame: ServerFrame): void;
  /** The subscription could not keep its promise (its catch-up buffer overflowed): end the connection. */
  overflow(): void;
  /** Bytes the connection has queued and not yet sent. */
  readonly writableBytes: number;
  /** Calls `waiter.drained()` once the connection's queue has emptied. */
  waitDrain(waiter: Drainable): void;
}

/** Something waiting for the connection to drain: a delivery gate, or a catch-up from history. */
export interface Drainable {
  drained(): void;
}

/** How one subscription delivers, fixed when it is made. */
export interface SubscriptionOptions {
  /**
   * `latest` / `drop-oldest`: the gate's settings (the rate already capped by the namespace). Null for `all`, whose
   * publications go straight to the connection's shared bytes, as fast as before delivery policies existed.
   */
  readonly gate:
    | (Pick<DeliveryOptions, 'policy' | 'conflateKey' | 'queueSize'> & {
        rate: number;
        highWater: number;
        onDropped?: (n: number) => void;
      })
    | null;
  /** Echo off: the owner's own publications (`info.client` is its id) are not delivered to it. */
  readonly skipOwn: boolean;
  /** Bytes the connection may have queued before catch-up from history waits for it to drain. */
  readonly highWater: number;
}

const DIRECT: SubscriptionOptions = { gate: null, skipOwn: false, highWater: 64 * 1024 };

/** Most live publications held for one subscription while it catches up from history. */
export const MAX_PENDING = 10_000;

/**
 * One connection's subscription to one channel: the object the hub fans out to.
 *
 * While `subscribing` (between joining the hub and learning the stream position), live publications are held;
 * once `live`, each is written unless it is not after the last one written (same epoch, offset not greater),
 * which makes catch-up from history and the live stream join without a gap or a duplicate.
 */
export class Subscription {
  readonly channel: string;
  readonly owner: SubscriptionOwner;
  state: 'subscribing' | 'live' | 'closed' = 'subscribing';
  /** Joined the channel's presence once `subscribed` was sent (even while still catching up): leaving removes it. */
  joinedPresence = false;
  /** The subscriber's presence info on this channel, when its namespace's subscribe hook gave one. */
  channelInfo: unknown;
  /** The channel's alias on this node (set by the hub when it joins; 0 before). */
  sid = 0;
  // The last position written, as two fields to avoid an allocation per delivery.
  #epoch = '';
  #offset = -1;
  // The last position the connection was sent (after the gate and the echo filter): what the client saw last.
  // Starts at the `subscribed` frame's position; compact frames say how each delivery follows it.
  #sentEpoch = '';
  #sentOffset = -1;
  /** Live publications held while subscribing and catching up; slots are cleared as they are written. */
  #pending: (PreparedPublication | undefined)[] | null = [];
  #pendingAt = 0;
  /** The missed publications being written by `#catchUp`; null before `goLive` and once live. */
  #backlog: (PreparedPublication | undefined)[] | null = null;
  #backlogAt = 0;
  readonly #highWater: number;
  readonly #drainer = { drained: () => this.#catchUp() };
  readonly #gate: DeliveryGate<PreparedPublication> | null;
  /** The owner's id when its own publications are skipped (echo off), else null. */
  readonly #skipOwn: string | null;
  /** No gate and no echo filter: publications go straight to the owner. */
  readonly #direct: boolean;

  constructor(channel: string, owner: SubscriptionOwner, options: SubscriptionOptions = DIRECT) {
    this.channel = channel;
    this.owner = owner;
    this.#skipOwn = options.skipOwn ? owner.id : null;
    this.#highWater = options.highWater;
    this.#gate =
      options.gate === null
        ? null
        : new DeliveryGate(options.gate, {
            get writableBytes() {
              return owner.writableBytes;
            },
            write: (p) => this.#send(p),
            skipped: (count) => owner.send({ type: 'skipped', channel, count }),
            waitDrain: (gate) => owner.waitDrain(gate),
          });
    this.#direct = this.#gate === null && this.#skipOwn === null;
  }

  /** Called by the hub for every publication on the channel. */
  deliver(prepared: PreparedPublication): void {
    if (this.state === 'live') {
      this.#write(prepared);
    } else if (this.state === 'subscribing') {
      const pending = this.#pending!;
      if (pending.length - this.#pendingAt >= MAX_PENDING) {
        this.state = 'closed';
        this.#pending = null;
        this.owner.overflow();
        return;
      }
      pending.push(prepared);
    }
  }

  /**
   * Ends catch-up: `start` is the position the client is at, `missed` the publications after it (from history),
   * then whatever arrived live meanwhile. Returns false if the subscription was closed in the meantime.
   * `announced` is the position the `subscribed` frame gave (compact frames follow on from it).
   *
   * The backlog is written as fast as the connection takes it, not all at once: whenever the connection has
   * `highWater` bytes queued, writing waits for it to drain (live publications keep being held meanwhile, within
   * MAX_PENDING). A resume after a long absence would otherwise queue the whole gap at once and be cut off as a
   * slow consumer before the client could read it.
   */
  goLive(start: Position, missed: readonly PreparedPublication[], announced: Position = start): boolean {
    if (this.state !== 'subscribing') return false;
    this.#epoch = start.epoch;
    this.#offset = start.offset;
    this.#sentEpoch = announced.epoch;
    this.#sentOffset = announced.offset;
    this.#backlog = [...missed];
    this.#catchUp();
    return true;
  }

  #catchUp(): void {
    const backlog = this.#backlog!;
    const pending = this.#pending!;
    for (;;) {
      if (this.state !== 'subscribing') return;
      const fromBacklog = this.#backlogAt < backlog.length;
      if (!fromBacklog && this.#pendingAt >= pending.length) break;
      // A gate paces itself; direct delivery waits here while the connection is behind.
      if (this.#gate === null && this.owner.writableBytes >= this.#highWater) {
        this.owner.waitDrain(this.#drainer);
        return;
      }
      let next: PreparedPublication | undefined;
      if (fromBacklog) {
        next = backlog[this.#backlogAt];
        backlog[this.#backlogAt++] = undefined;
      } else {
        next = pending[this.#pendingAt];
        pending[this.#pendingAt++] = undefined;
      }
      if (next !== undefined) this.#write(next);
    }
    this.#backlog = null;
    this.#pending = null;
    this.state = 'live';
  }

  close(): void {
    this.state = 'closed';
    this.#pending = null;
    this.#backlog = null;
    this.#gate?.close();
  }

  /** The last position written (or the start position before any). */
  get position(): Position {
    return { epoch: this.#epoch, offset: this.#offset };
  }

  #write(prepared: PreparedPublication): void {
    const p = prepared.publication;
    if (p.epoch === this.#epoch) {
      if (p.offset <= this.#offset) return;
    } else {
      this.#epoch = p.epoch;
    }
    this.#offset = p.offset;
    // The `all` path with echo on, as before delivery policies: one test, then the shared bytes.
    if (this.#direct) this.#send(prepared);
    else this.#writeFiltered(prepared);
  }

  #writeFiltered(prepared: PreparedPublication): void {
    if (this.#skipOwn !== null && prepared.publication.info?.client === this.#skipOwn) return;
    if (this.#gate === null) this.#send(prepared);
    else this.#gate.offer(prepared);
  }

  /** Hands a publication to the connection, with how it follows the last one sent. */
  #send(prepared: PreparedPublication): void {
    const p = prepared.publication;
    let continuity: Continuity;
    if (p.epoch !== this.#sentEpoch) {
      this.#sentEpoch = p.epoch;
      continuity = FULL;
    } else {
      continuity = p.offset === this.#sentOffset + 1 ? IMPLIED : EXPLICIT;
    }
    this.#sentOffset = p.offset;
    this.owner.sendPublication(prepared, continuity);
  }
}
