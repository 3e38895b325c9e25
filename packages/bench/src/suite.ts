// Runs the selected scenarios against one target, for each transport it serves.

import type { RunContext } from './context.ts';
import type { Transport } from './dialect.ts';
import { openFileLimit } from './probes.ts';
import type { ScenarioName } from './profile.ts';
import type { ScenarioResult } from './results.ts';
import { bytesOnWire } from './scenarios/bytes.ts';
import { channels } from './scenarios/channels.ts';
import { connections } from './scenarios/connections.ts';
import { fanout } from './scenarios/fanout.ts';
import { histogramCheck } from './scenarios/histogram.ts';
import { clockNotes } from './scenarios/notes.ts';
import { publishLatency } from './scenarios/publish.ts';
import { soak } from './scenarios/soak.ts';
import { stormResume } from './scenarios/storm-resume.ts';
import { stuck } from './scenarios/stuck.ts';

export interface Selection {
  scenarios: readonly ScenarioName[];
  transports: readonly Transport[];
  /** Overrides every scenario's subscriber count (fan-out runs this one size). */
  subscribers: number | undefined;
}

/** File descriptors a hub keeps besides its subscribers (listeners, stdio, logs, its own timers). */
const FD_RESERVE = 200;

/** The most subscribers the hub process can hold, when its open-files limit is readable. */
export function hubCapacity(pid: number | undefined): number {
  const limit = pid === undefined ? undefined : openFileLimit(pid);
  return limit === undefined ? Number.POSITIVE_INFINITY : limit - FD_RESERVE;
}

/**
 * Idle memory and the connection storm run first, on a hub that has carried no load yet: memory a hub freed
 * after a load stays in its heap, so a later reading would understate what a connection costs. (The suite
 * also restarts the hub for each transport.)
 */
export async function runTarget(ctx: RunContext, sel: Selection): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  const { profile, target } = ctx;
  const cap = hubCapacity(target.pid);
  const sized = (n: number): number => {
    if (n <= cap) return n;
    ctx.log(`  note: ${n} subscribers exceed the hub's open-files limit; running ${cap}`);
    return cap;
  };
  const has = (s: ScenarioName): boolean => sel.scenarios.includes(s);
  for (const transport of sel.transports) {
    if (!target.transports.includes(transport)) continue;
    if (has('idle') || has('storm')) {
      const n = sized(sel.subscribers ?? profile.idleSubscribers);
      ctx.log(`  ${target.name} ${transport} connections ${n}`);
      out.push(...(await connections(ctx, transport, n, { idle: has('idle'), storm: has('storm') })));
    }
    if (has('fanout')) {
      for (const n of sel.subscribers === undefined ? profile.fanoutSizes : [sel.subscribers]) {
        ctx.log(`  ${target.name} ${transport} fanout ${sized(n)}`);
        out.push(await fanout(ctx, transport, sized(n)));
      }
    }
    if (has('channels')) {
      const n = sized(sel.subscribers ?? profile.channelsSubscribers);
      ctx.log(`  ${target.name} ${transport} channels ${n}`);
      out.push(await channels(ctx, transport, n));
    }
    if (has('single')) {
      const n = sized(sel.subscribers ?? profile.channelsSubscribers);
      ctx.log(`  ${target.name} ${transport} single ${n}`);
      out.push(await channels(ctx, transport, n, 'single'));
    }
    for (const mode of ['single-pipeline', 'single-stream'] as const) {
      if (!has(mode)) continue;
      // The publish stream is Switchboard's own endpoint; pipelining works with any HTTP/1.1 hub.
      if (mode === 'single-stream' && !target.name.startsWith('switchboard')) {
        ctx.log(`  ${target.name}: ${mode} skipped (POST /api/publish/stream is Switchboard's)`);
        continue;
      }
      const n = sized(sel.subscribers ?? profile.channelsSubscribers);
      ctx.log(`  ${target.name} ${transport} ${mode} ${n}`);
      out.push(await channels(ctx, transport, n, mode));
    }
    if (has('stuck')) {
      // Delivery policies are Switchboard's: other hubs have no namespaces to compare.
      if (target.name === 'switchboard') {
        ctx.log(`  ${target.name} ${transport} stuck reader`);
        out.push(await stuck(ctx, transport));
      } else
        ctx.log(`  ${target.name}: stuck-reader scenario skipped (Switchboard's delivery policies only)`);
    }
    if (has('histogram')) {
      // The publish-to-write histogram is Switchboard's own metric: other hubs have nothing to scrape.
      if (target.dialect.name === 'switchboard') {
        const n = sized(sel.subscribers ?? profile.histogramSubscribers);
        ctx.log(`  ${target.name} ${transport} histogram ${n}`);
        out.push(await histogramCheck(ctx, transport, n));
      } else ctx.log(`  ${target.name}: histogram scenario skipped (Switchboard's own metric)`);
    }
    if (has('bytes')) {
      ctx.log(`  ${target.name} ${transport} bytes`);
      out.push(await bytesOnWire(ctx, transport));
    }
  }
  if (has('publish')) {
    ctx.log(`  ${target.name} publish latency`);
    out.push(await publishLatency(ctx));
  }
  if (has('storm-resume')) {
    // A restart of a Switchboard node over an engine that outlives it (the switchboard-redis targets).
    if (target.dialect.name === 'switchboard' && target.restart !== undefined) {
      const n = sel.subscribers ?? profile.stormClients;
      ctx.log(`  ${target.name} reconnect storm, ${n} clients`);
      out.push(...(await stormResume(ctx, n)));
    } else
      ctx.log(
        `  ${target.name}: storm-resume skipped (a Switchboard node over Redis only: --targets switchboard-redis-x3)`,
      );
  }
  if (has('soak')) {
    // Both transports at once, and Switchboard's alone (the heap probe and the mixed load are its).
    if (target.dialect.name === 'switchboard' && target.transports.length === 2) {
      const n = sized(sel.subscribers ?? profile.soakSubscribers);
      ctx.log(`  ${target.name} soak ${profile.soakMinutes} min, ${n} subscribers a cycle`);
      out.push(await soak(ctx, n));
    } else ctx.log(`  ${target.name}: soak skipped (Switchboard targets only)`);
  }
  for (const r of out) r.notes.push(...clockNotes(r.steps));
  return out;
}
