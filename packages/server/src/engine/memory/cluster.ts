import type {
  BrokerHandler,
  PresenceEntry,
  Publication,
  PublishOptions,
  PublishResult,
} from '@switchboard/engine-kit';
import type { ClientInfo } from '@switchboard/protocol';
import { EngineError } from '../../errors.ts';
import { MemoryStream } from './stream.ts';

/** Most idempotency keys remembered at once; the oldest are forgotten first past this. */
export const MAX_IDEMPOTENCY_KEYS = 100_000;
const SWEEP_MS = 10_000;

/** A node attached to the cluster: the channels it subscribed to and where to hand their publications. */
export interface MemoryMember {
  readonly channels: Set<string>;
  handler: BrokerHandler | undefined;
}

/**
 * The shared backend of in-memory engines: streams, presence, idempotency keys and the delivery bus. One per
 * process by default (a single node); several engines over one cluster behave as several nodes of one hub.
 * It can also be told to fail, so the hub's handling of lost deliveries and of an unreachable backend can be
 * tested with real code paths:
 * - `dropNext(member, n)`: the member misses its next `n` deliveries (as a broken Redis pub/sub connection would);
 * - `setAvailable(false)`: every call rejects with `unavailable` until set back;
 * - `setChannelAvailable(channel, false)`: only the calls about that channel do (one shard of a cluster down).
 */
export class MemoryCluster {
  readonly #streams = new Map<string, MemoryStream>();
  readonly #presence = new Map<string, Map<string, { entry: PresenceEntry; expires: number }>>();
  readonly #idempotency = new Map<string, { result: Publication; expires: number }>();
  readonly #members = new Set<MemoryMember>();
  readonly #drops = new Map<MemoryMember, number>();
  #available = true;
  readonly #unavailable = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  get available(): boolean {
    return this.#available;
  }

  setAvailable(available: boolean): void {
    this.#available = available;
  }

  setChannelAvailable(channel: string, available: boolean): void {
    if (available) this.#unavailable.delete(channel);
    else this.#unavailable.add(channel);
  }

  dropNext(member: MemoryMember, count: number): void {
    this.#drops.set(member, (this.#drops.get(member) ?? 0) + count);
  }

  join(member: MemoryMember): void {
    this.#members.add(member);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.sweep(Date.now()), SWEEP_MS);
      this.#timer.unref();
    }
  }

  leave(member: MemoryMember): void {
    this.#members.delete(member);
    this.#drops.delete(member);
    if (this.#members.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  check(channel?: string): void {
    if (!this.#available) throw new EngineError('the memory engine is set unavailable');
    if (channel !== undefined && this.#unavailable.has(channel))
      throw new EngineError(`the memory engine is set unavailable for ${channel}`);
  }

  stream(channel: string, now: number): MemoryStream {
    let stream = this.#streams.get(channel);
    if (stream?.expired(now)) {
      this.#streams.delete(channel);
      stream = undefined;
    }
    if (stream === undefined) {
      stream = new MemoryStream();
      this.#streams.set(channel, stream);
    }
    return stream;
  }

  removeStream(channel: string): void {
    this.#streams.delete(channel);
  }

  publish(channel: string, data: string, options: PublishOptions): PublishResult {
    this.check();
    const now = Date.now();
    // Keys are scoped per channel: a broadcast may carry one key to many channels.
    const key =
      options.idempotencyKey === undefined ? undefined : `${channel}\u0000${options.idempotencyKey}`;
    if (key !== undefined) {
      const seen = this.#idempotency.get(key);
      if (seen !== undefined && seen.expires > now) return { publication: seen.result, duplicate: true };
    }
    const publication = this.stream(channel, now).append(channel, data, options.history, options.info, now);
    if (key !== undefined) {
      this.#idempotency.delete(key);
      this.#idempotency.set(key, {
        result: publication,
        expires: now + (options.idempotencyTtlMs ?? 300_000),
      });
      if (this.#idempotency.size > MAX_IDEMPOTENCY_KEYS) {
        const oldest = this.#idempotency.keys().next().value;
        if (oldest !== undefined) this.#idempotency.delete(oldest);
      }
    }
    // The members' loop written out, as #deliver's: no callback made per publication.
    for (const member of this.#members) {
      if (member.handler === undefined || !member.channels.has(channel)) continue;
      // Drops are a test hook: no lookup per publication while none is set.
      const drops = this.#drops.size === 0 ? undefined : this.#drops.get(member);
      if (drops !== undefined && drops > 0) {
        this.#drops.set(member, drops - 1);
        continue;
      }
      member.handler.onPublication(publication);
    }
    return { publication, duplicate: false };
  }

  announce(channel: string, kind: 'join' | 'leave', client: ClientInfo): void {
    this.check();
    this.#deliver(channel, (h) => (kind === 'join' ? h.onJoin(channel, client) : h.onLeave(channel, client)));
  }

  #deliver(channel: string, call: (handler: BrokerHandler) => void): void {
    for (const member of this.#members) {
      if (member.handler === undefined || !member.channels.has(channel)) continue;
      const drops = this.#drops.get(member);
      if (drops !== undefined && drops > 0) {
        this.#drops.set(member, drops - 1);
        continue;
      }
      call(member.handler);
    }
  }

  presenceAdd(channel: string, entry: PresenceEntry, ttlMs: number): void {
    this.check();
    let entries = this.#presence.get(channel);
    if (entries === undefined) {
      entries = new Map();
      this.#presence.set(channel, entries);
    }
    entries.set(entry.client, { entry, expires: Date.now() + ttlMs });
  }

  presenceRemove(channel: string, client: string): void {
    this.check();
    const entries = this.#presence.get(channel);
    entries?.delete(client);
    if (entries?.size === 0) this.#presence.delete(channel);
  }

  presenceList(channel: string): PresenceEntry[] {
    this.check();
    const now = Date.now();
    const out: PresenceEntry[] = [];
    for (const { entry, expires } of this.#presence.get(channel)?.values() ?? [])
      if (expires > now) out.push(entry);
    return out;
  }

  /** Forgets expired streams, presence entries and idempotency keys. */
  sweep(now: number): void {
    for (const [channel, stream] of this.#streams) {
      stream.trim(now);
      if (stream.expired(now)) this.#streams.delete(channel);
    }
    for (const [channel, entries] of this.#presence) {
      for (const [client, { expires }] of entries) if (expires <= now) entries.delete(client);
      if (entries.size === 0) this.#presence.delete(channel);
    }
    for (const [key, { expires }] of this.#idempotency) if (expires <= now) this.#idempotency.delete(key);
  }

  get idempotencyKeyCount(): number {
    return this.#idempotency.size;
  }
}
