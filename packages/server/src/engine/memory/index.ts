import {
  type Broker,
  type BrokerHandler,
  type Engine,
  type HistoryQuery,
  type HistoryResult,
  type HistoryStore,
  MemoryOccupancy,
  type PresenceEntry,
  type PresenceStore,
  type PublishOptions,
  type PublishResult,
  Sequencer,
} from '@switchboard/engine-kit';
import type { ClientInfo } from '@switchboard/protocol';
import { EngineError } from '../../errors.ts';
import { MemoryCluster, type MemoryMember } from './cluster.ts';

export { MAX_IDEMPOTENCY_KEYS, MemoryCluster, type MemoryMember } from './cluster.ts';

export interface MemoryEngineOptions {
  /** Share a backend with other engines (several nodes in one process). Default: a private one. */
  readonly cluster?: MemoryCluster;
}

export interface MemoryEngine extends Engine {
  readonly cluster: MemoryCluster;
  /** This node's membership, for `cluster.dropNext`. */
  readonly member: MemoryMember;
}

/**
 * The in-memory engine: one node, no setup. History lives as long as the process, so a restart starts every
 * channel in a new epoch (clients then learn `recovered: false`). Publish, append and delivery happen in one
 * synchronous step. Deliveries still go through a `Sequencer`, like every engine's: over a shared cluster a node
 * can be made to miss some (`cluster.dropNext`), and it fills them from history as Redis and NATS nodes do.
 */
/** One occupancy store per cluster, so the nodes sharing a cluster share it too. */
const OCCUPANCY = new WeakMap<MemoryCluster, MemoryOccupancy>();

export function createMemoryEngine(options: MemoryEngineOptions = {}): MemoryEngine {
  const cluster = options.cluster ?? new MemoryCluster();
  let closed = false;
  const guard = () => {
    if (closed) throw new EngineError('the engine is closed');
  };
  const history: HistoryStore = {
    async top(channel: string) {
      guard();
      cluster.check(channel);
      const stream = cluster.stream(channel, Date.now());
      stream.touched = Date.now();
      return stream.position;
    },
    async read(channel: string, query: HistoryQuery): Promise<HistoryResult> {
      guard();
      cluster.check(channel);
      return cluster.stream(channel, Date.now()).read(query, Date.now());
    },
    async remove(channel: string) {
      guard();
      cluster.check(channel);
      cluster.removeStream(channel);
    },
  };
  const sequencer = new Sequencer(history);
  let handler: BrokerHandler | undefined;
  const member: MemoryMember = {
    channels: new Set(),
    handler: {
      onPublication: (p) => sequencer.offer(p),
      onJoin: (channel, client) => handler?.onJoin(channel, client),
      onLeave: (channel, client) => handler?.onLeave(channel, client),
      onResync: (channel, resync) => handler?.onResync(channel, resync),
    },
  };

  const broker: Broker = {
    async start(h: BrokerHandler) {
      guard();
      handler = h;
      sequencer.output = h;
      cluster.join(member);
    },
    async publish(channel: string, data: string, opts: PublishOptions): Promise<PublishResult> {
      guard();
      return cluster.publish(channel, data, opts);
    },
    // Every channel's publish completes synchronously: one promise for the whole broadcast.
    async publishMany(channels: readonly string[], data: string, opts: readonly PublishOptions[]) {
      guard();
      const results = new Array<PublishResult | Error>(channels.length);
      for (let i = 0; i < channels.length; i++) {
        try {
          results[i] = cluster.publish(channels[i]!, data, opts[i]!);
        } catch (err) {
          results[i] = err instanceof Error ? err : new EngineError(String(err));
        }
      }
      return results;
    },
    async publishJoin(channel: string, client: ClientInfo) {
      guard();
      cluster.announce(channel, 'join', client);
    },
    async publishLeave(channel: string, client: ClientInfo) {
      guard();
      cluster.announce(channel, 'leave', client);
    },
    async subscribe(channel: string) {
      guard();
      cluster.check(channel);
      member.channels.add(channel);
      sequencer.watch(channel);
      sequencer.notePosition(channel, cluster.stream(channel, Date.now()).position);
    },
    async unsubscribe(channel: string) {
      member.channels.delete(channel);
      sequencer.unwatch(channel);
    },
    async close() {
      member.channels.clear();
      sequencer.clear();
      cluster.leave(member);
    },
  };

  const presence: PresenceStore = {
    async add(channel: string, entry: PresenceEntry, ttlMs: number) {
      guard();
      cluster.presenceAdd(channel, entry, ttlMs);
    },
    async remove(channel: string, client: string) {
      guard();
      cluster.presenceRemove(channel, client);
    },
    async list(channel: string) {
      guard();
      return cluster.presenceList(channel);
    },
  };

  return {
    name: 'memory',
    broker,
    history,
    presence,
    occupancy: occupancyOf(cluster),
    cluster,
    member,
    ready: () => !closed && cluster.available,
    async close() {
      if (closed) return;
      closed = true;
      await broker.close();
    },
  };
}

function occupancyOf(cluster: MemoryCluster): MemoryOccupancy {
  let o = OCCUPANCY.get(cluster);
  if (o === undefined) {
    o = new MemoryOccupancy();
    OCCUPANCY.set(cluster, o);
  }
  return o;
}
