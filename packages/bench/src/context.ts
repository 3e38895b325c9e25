// What a scenario runs against: the target hub, the generator's workers, the publisher, the profile.

import { availableParallelism } from 'node:os';
import type { Dialect, Transport } from './dialect.ts';
import type { OpenSpec } from './ipc.ts';
import type { PoolOpenResult, WorkerPool } from './pool.ts';
import type { Profile } from './profile.ts';
import type { Publisher } from './publisher.ts';

export interface Target {
  /** Label in tables and JSON: `switchboard`, `ws-naive`, `nchan`… */
  name: string;
  host: string;
  port: number;
  apiKey: string | undefined;
  dialect: Dialect;
  /** Transports this target serves (a baseline serves one). */
  transports: readonly Transport[];
  /** The hub's process, for memory and CPU readings; undefined for a hub the generator did not start. */
  pid: number | undefined;
}

export interface RunContext {
  target: Target;
  pool: WorkerPool;
  publisher: Publisher;
  profile: Profile;
  /** Cores the generator may use (its CPU affinity): the generator is the limit near this much CPU. */
  generatorCores: number;
  /** The generator's and the hub's cores when they are pinned apart, to read how busy each side's cores are. */
  pinned: { generator: number[]; hub: number[] } | undefined;
  /** Source addresses for subscribers (loopback aliases), or empty. */
  localAddresses: string[];
  log(line: string): void;
}

export function generatorCores(): number {
  return availableParallelism();
}

/** Source addresses to spread many loopback connections over more ephemeral ports. */
export function loopbackAliases(host: string): string[] {
  return host === '127.0.0.1' ? ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'] : [];
}

/** Opens subscribers for a scenario, with the profile's limits. */
export function openSubscribers(
  ctx: RunContext,
  transport: Transport,
  count: number,
  channel: string,
  perSubscriber: boolean,
): Promise<PoolOpenResult> {
  const spec: OpenSpec = {
    host: ctx.target.host,
    port: ctx.target.port,
    transport,
    dialect: ctx.target.dialect.name,
    count,
    channel,
    perSubscriber,
    first: 0,
    concurrency: ctx.profile.connectConcurrency,
    connectTimeoutMs: ctx.profile.connectTimeoutMs,
    deadlineMs: ctx.profile.openDeadlineMs,
    localAddresses: ctx.localAddresses,
  };
  return ctx.pool.open(spec);
}

export function describeErrors(errors: Record<string, number>): string {
  return Object.entries(errors)
    .map(([code, n]) => `${code}×${n}`)
    .join(', ');
}
