import type { ClientInfo } from '@switchboard/protocol';
import { EngineError } from '../../errors.ts';
import type {
  Broker,
  BrokerHandler,
  Engine,
  HistoryQuery,
  HistoryResult,
  HistoryStore,
  PresenceEntry,
  PresenceStore,
  PublishOptions,
  PublishResult,
} from '../types.ts';
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
 * synchronous step, which gives every guarantee of the engine interfaces trivially.
 */
export function createMemoryEngine(options: MemoryEngineOptions = {}): MemoryEngine {
  const cluster = options.cluster ?? new MemoryCluster();
  const member: MemoryMember = { channels: new Set(), handler: undefined };
  let closed = false;
  const guard = () => {
    if (closed) throw new EngineError('the engine is closed');
  };

  const broker: Broker = {
    async start(handler: BrokerHandler) {
      guard();
      member.handler = handler;
      cluster.join(member);
    },
    async publish(channel: string, data: string, opts: PublishOptions): Promise<PublishResult> {
      guard();
      return cluster.publish(channel, data, opts);
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
    },
    async unsubscribe(channel: string) {
      member.channels.delete(channel);
    },
    async close() {
      member.channels.clear();
      cluster.leave(member);
    },
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
