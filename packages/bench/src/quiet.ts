// Waiting for a quiet machine: on a shared machine other processes come and go, and a step measured while they
// take a core says little about the hub. Before a measurement, sample the CPU that neither the hub nor the
// generator uses, and wait (bounded) until it is low.

import type { RunContext } from './context.ts';
import { allCores, CoreMeter, CpuMeter, processTree } from './probes.ts';

/** CPU (1 = a core) used by neither side under which the machine counts as quiet. */
const QUIET_CPU = 0.3;
const SAMPLE_MS = 500;

/** Resolves once the machine is quiet or `profile.quietWaitMs` has passed; returns the last reading. */
export async function waitForQuiet(ctx: RunContext): Promise<number | undefined> {
  const { profile, target } = ctx;
  if (profile.quietWaitMs <= 0 || target.pid === undefined) return undefined;
  const end = performance.now() + profile.quietWaitMs;
  let waited = false;
  // A hub the suite started is this process's child: its CPU is in both trees, so take it out of ours once.
  const hubInside = processTree(process.pid).includes(target.pid);
  for (;;) {
    const hub = new CpuMeter(target.pid);
    const gen = new CpuMeter(process.pid); // the coordinator and its workers
    const machine = new CoreMeter(allCores());
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
    const hubCpu = hub.lap() ?? 0;
    const genCpu = (gen.lap() ?? 0) - (hubInside ? hubCpu : 0);
    const other = (machine.lap() ?? 0) * allCores().length - hubCpu - genCpu;
    if (other < QUIET_CPU || performance.now() >= end) {
      if (waited) ctx.log(`    (machine ${other < QUIET_CPU ? 'quiet again' : 'still busy, going on'})`);
      return other;
    }
    if (!waited) ctx.log(`    (other load on the machine: ${Math.round(other * 100)}% of a core; waiting)`);
    waited = true;
  }
}
