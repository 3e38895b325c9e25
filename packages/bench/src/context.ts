// What a scenario runs against: the target hub, the generator's workers, the publisher, the profile.

import { availableParallelism } from 'node:os';
import type { Dialect, Transport, WireVersion } from './dialect.ts';
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
  /**
   * The hub's other nodes, when it runs several over a shared engine: subscribers are spread evenly over the
   * target and these, while every publication goes through the target (cross-node fan-out). Memory and CPU
   * readings stay the target's alone.
   */
  nodes?: ReadonlyArray<{ host: string; port: number }>;
  /**
   * The reconnect storm: stops the target node (SIGTERM) and starts it again on the same port with `env` added
   * to its environment, resolving to its new pid. Only for a hub whose engine outlives the node (Redis).
   */
  restart?: {
    stop(): Promise<void>;
    start(env: Record<string, string>): Promise<number>;
    /** When the node has exited on its own: that, and the last lines it printed; undefined while it runs. */
    exited?: (() => string | undefined) | undefined;
  };
  /** SSE subscribers as streams of HTTP/2 connections (h2c with prior knowledge) instead of HTTP/1.1 ones. */
  http2?: boolean;
  /** Switchboard's wire version its subscribers speak (`--wire`); 2, the SDK's, when absent. */
  wire?: WireVersion;
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

/** Opens subscribers for a scenario, with the profile's limits, spread over every node of the target. */
export async function openSubscribers(
  ctx: RunContext,
  transport: Transport,
  count: number,
  channel: string,
  perSubscriber: boolean,
): Promise<PoolOpenResult> {
  const endpoints = [{ host: ctx.target.host, port: ctx.target.port }, ...(ctx.target.nodes ?? [])];
  const spec = (host: string, port: number, first: number, n: number): OpenSpec => ({
    host,
    port,
    transport,
    http2: transport === 'sse' && ctx.target.http2 === true,
    dialect: ctx.target.dialect.name,
    ...(ctx.target.wire === undefined ? {} : { wire: ctx.target.wire }),
    count: n,
    channel,
    perSubscriber,
    first,
    concurrency: Math.max(1, Math.ceil(ctx.profile.connectConcurrency / endpoints.length)),
    connectTimeoutMs: ctx.profile.connectTimeoutMs,
    deadlineMs: ctx.profile.openDeadlineMs,
    localAddresses: ctx.localAddresses,
  });
  if (endpoints.length === 1) return ctx.pool.open(spec(ctx.target.host, ctx.target.port, 0, count));
  // Numbering stays global (subscriber i on node i mod k would interleave; blocks keep each open call simple).
  const parts: Promise<PoolOpenResult>[] = [];
  let first = 0;
  for (const [i, e] of endpoints.entries()) {
    const n = Math.floor(count / endpoints.length) + (i < count % endpoints.length ? 1 : 0);
    parts.push(ctx.pool.open(spec(e.host, e.port, first, n)));
    first += n;
  }
  const results = await Promise.all(parts);
  const out = results[0]!;
  for (const r of results.slice(1)) {
    out.ready += r.ready;
    out.failed += r.failed;
    out.ms = Math.max(out.ms, r.ms);
    out.setup.merge(r.setup.toPairs(), r.setup.max);
    for (const [code, c] of Object.entries(r.errors)) out.errors[code] = (out.errors[code] ?? 0) + c;
  }
  return out;
}

export function describeErrors(errors: Record<string, number>): string {
  return Object.entries(errors)
    .map(([code, n]) => `${code}×${n}`)
    .join(', ');
}
