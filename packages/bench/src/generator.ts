// Builds the generator for one run: worker processes sized for the load, the publisher, the context.

import { generatorCores, loopbackAliases, type RunContext, type Target } from './context.ts';
import { WorkerPool } from './pool.ts';
import { allowedCpus, openFileLimit } from './probes.ts';
import type { Profile } from './profile.ts';
import { Publisher } from './publisher.ts';

/** Sockets one worker holds at most: its open-files limit less a margin. */
export function perWorkerCapacity(): number {
  return (openFileLimit('self') ?? 1024) - 256;
}

/** One worker per core the generator may use, and enough that no worker runs out of file descriptors. */
export function workerCount(maxSubscribers: number, override: number | undefined): number {
  if (override !== undefined) return override;
  return Math.max(generatorCores(), Math.ceil(maxSubscribers / perWorkerCapacity()));
}

export interface Generator {
  ctx: RunContext;
  close(): void;
}

export function createGenerator(
  target: Target,
  profile: Profile,
  workers: number,
  log: (line: string) => void,
): Generator {
  const pool = new WorkerPool(workers);
  const publisher = new Publisher({
    host: target.host,
    port: target.port,
    apiKey: target.apiKey,
    payloadBytes: profile.payloadBytes,
  });
  const ctx: RunContext = {
    target,
    pool,
    publisher,
    profile,
    generatorCores: generatorCores(),
    pinned: pinnedApart(target.pid),
    localAddresses: loopbackAliases(target.host),
    log,
  };
  return {
    ctx,
    close(): void {
      publisher.close();
      pool.stop();
    },
  };
}

export function maxSubscribers(profile: Profile, override: number | undefined): number {
  if (override !== undefined) return override;
  return Math.max(...profile.fanoutSizes, profile.channelsSubscribers, profile.idleSubscribers);
}

/** The generator's and the hub's CPU sets, when both are known and share no core. */
export function pinnedApart(hubPid: number | undefined): { generator: number[]; hub: number[] } | undefined {
  const generator = allowedCpus('self');
  const hub = hubPid === undefined ? undefined : allowedCpus(hubPid);
  if (generator === undefined || hub === undefined) return undefined;
  return generator.some((c) => hub.includes(c)) ? undefined : { generator, hub };
}
