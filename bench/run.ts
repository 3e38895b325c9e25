// The benchmark suite (`npm run bench`): starts each hub in turn — Switchboard, the Node baselines, and nchan
// and Socket.IO when installed — pinned to core 0, drives it with the generator on core 1, and prints one
// table, Switchboard's ratios to the others, and writes bench/results/<time>.json and .svg.
//
//   npm run bench -- --quick                 (under two minutes)
//   npm run bench                            (the full run documented in docs/benchmarks.md)
//   npm run bench -- --target http://127.0.0.1:8080 --api-key K    (a hub that is already running)

import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import {
  ArgsError,
  createGenerator,
  DIALECTS,
  maxSubscribers,
  parseCommon,
  runTarget,
  type ScenarioResult,
  type Target,
  type Transport,
  USAGE,
  workerCount,
} from '@switchboard/bench';
import { describeCpu, freePort, type Pinning, pinGenerator, type Started } from './process.ts';
import { comparisonTable, ratioTable } from './report/compare.ts';
import { writeResults } from './report/write.ts';
import { checkoutTarget, nodeFlags, TARGETS, type TargetDef } from './targets.ts';

const EXTRA = {
  targets: { type: 'string' },
  'base-checkout': { type: 'string' },
  out: { type: 'string' },
  'cpu-prof': { type: 'string' },
} as const;
const SUITE_USAGE = `${USAGE}
  --targets LIST         suite targets to run, in the order given (default all available but the
                         opt-in multi-node ones): ${TARGETS.map((t) => t.name).join(', ')}
  --base-checkout DIR    adds target switchboard-base: the hub of another checkout (a git worktree of
                         main at a branch's base, npm-installed), to measure a change in one run
  --out DIR              where results go (default bench/results)
  --cpu-prof DIR         start every Node hub with --cpu-prof; profiles land in DIR when each hub stops
                         (read them with: node bench/report/profile.ts DIR/<file>.cpuprofile)`;

/** The whole run's hard limit: the quick run must end within two minutes. */
const QUICK_LIMIT_MS = 115_000;
const FULL_LIMIT_MS = 90 * 60_000;
/** Time a target needs at least (quick run): later targets are skipped, with a note, when less is left. */
const QUICK_TARGET_MIN_MS = 12_000;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommon>;
  try {
    parsed = parseCommon(argv, EXTRA);
  } catch (err) {
    if (!(err instanceof ArgsError)) throw err;
    console.error(`${err.message}\n${SUITE_USAGE}`);
    return 2;
  }
  const a = parsed.common;
  if (a.help) {
    console.log(`npm run bench -- [options]\n${SUITE_USAGE}`);
    return 0;
  }
  // The soak reads the hub's heap from a preloaded probe (the hub has no heap figure of its own).
  if (a.scenarios.includes('soak'))
    nodeFlags.push(`--import=${new URL('./heap-probe.ts', import.meta.url).pathname}`);
  const profDir = parsed.values['cpu-prof'];
  if (typeof profDir === 'string') nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${resolve(profDir)}`);
  const startedAt = new Date();
  // A soak longer than the run's limit extends it (the soak's minutes, plus its hub's start and stop).
  const limitMs = a.quick
    ? QUICK_LIMIT_MS
    : Math.max(FULL_LIMIT_MS, a.scenarios.includes('soak') ? (a.profile.soakMinutes + 10) * 60_000 : 0);
  const endBy = performance.now() + limitMs;
  const results: ScenarioResult[] = [];
  const notes: string[] = [];
  const external = a.target !== undefined;
  const pin: Pinning = external
    ? { hub: undefined, generator: undefined, note: 'not pinned: --target hub runs elsewhere' }
    : pinGenerator(availableParallelism());
  const log = (line: string): void => console.log(line);
  log(`switchboard bench: ${a.quick ? 'quick' : 'full'} run, ${pin.note}`);

  const finish = (): number => {
    const names = [...new Set(results.map((r) => r.target))];
    console.log(`\n${comparisonTable(results, names)}`);
    console.log('(* the generator was at its limit, alone or with the hub: the hub figure is a floor)');
    const ratios = ratioTable(results);
    if (ratios !== undefined)
      console.log(`\nSwitchboard ÷ the others (↑ higher is better, ↓ lower is better)\n${ratios}`);
    for (const r of results)
      for (const n of r.notes) notes.push(`${r.target} ${r.scenario}/${r.transport} ${r.requested}: ${n}`);
    if (notes.length > 0) console.log(`\nnotes:\n${notes.map((n) => `  - ${n}`).join('\n')}`);
    const files = writeResults(parsed.values.out as string | undefined, {
      startedAt,
      quick: a.quick,
      machine: {
        cpu: describeCpu(),
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
      },
      pinning: pin.note,
      profile: a.profile,
      results,
      notes,
    });
    console.log(`\nresults: ${files.json}\nchart:   ${files.svg}`);
    return 0;
  };

  // The hard deadline: whatever runs is abandoned, partial results are written, every child is killed.
  const watchdog = setTimeout(() => {
    notes.push(`run stopped at its ${limitMs / 1000} s limit; figures after that point are missing`);
    console.log(`\n!! ${limitMs / 1000} s limit reached: stopping`);
    finish();
    process.exit(1);
  }, limitMs);
  watchdog.unref();

  const base = parsed.values['base-checkout'];
  const available = typeof base === 'string' ? [...TARGETS, checkoutTarget(base)] : TARGETS;
  const defs: TargetDef[] = external
    ? []
    : selectTargets(available, parsed.values.targets as string | undefined, notes);
  // A fresh hub process per transport: each transport's idle memory is read on a hub that carried no load.
  const plan: Array<{ def: TargetDef | undefined; transport: Transport | undefined; first: boolean }> =
    external
      ? [{ def: undefined, transport: undefined, first: true }]
      : defs.flatMap((def) =>
          a.transports
            .filter((t) => def.transports.includes(t))
            .map((transport, i) => ({ def, transport, first: i === 0 })),
        );
  for (const { def, transport, first } of plan) {
    const label = `${def?.name ?? 'target'}${transport === undefined ? '' : ` ${transport}`}`;
    if (a.quick && endBy - performance.now() < QUICK_TARGET_MIN_MS) {
      notes.push(`${label} skipped: not enough of the quick run's time left`);
      continue;
    }
    let started: Started | undefined;
    let target: Target;
    try {
      if (def === undefined) {
        const url = a.target!;
        const dialect = DIALECTS[a.dialect];
        target = {
          name: 'target',
          host: url.hostname,
          port: Number(url.port || 80),
          apiKey: a.apiKey,
          dialect,
          transports: dialect.transports,
          pid: a.pid,
          http2: a.http2,
          wire: a.wire,
        };
      } else {
        const port = await freePort();
        const apiKey = randomBytes(12).toString('hex');
        log(`\n== ${label} on 127.0.0.1:${port}`);
        started = await def.start(port, apiKey, pin);
        target = {
          name: def.name,
          host: '127.0.0.1',
          port,
          apiKey,
          dialect: def.dialect,
          transports: def.transports,
          pid: started.pid,
          ...(started.nodes === undefined ? {} : { nodes: started.nodes }),
          ...(started.stop1 === undefined || started.start1 === undefined
            ? {}
            : { restart: { stop: started.stop1, start: started.start1, exited: started.output1 } }),
          // `--http2`: only Switchboard's hubs speak HTTP/2; the others keep HTTP/1.1 (and say so).
          http2: a.http2 && def.name.startsWith('switchboard'),
          wire: a.wire,
        };
        if (a.http2 && !target.http2) notes.push(`${label}: SSE over HTTP/1.1 (no HTTP/2 there)`);
      }
    } catch (err) {
      notes.push(`${label} could not start: ${(err as Error).message.split('\n')[0]}`);
      log(`   could not start: ${(err as Error).message}`);
      continue;
    }
    const workers = workerCount(maxSubscribers(a.profile, a.subscribers), a.workers);
    const gen = createGenerator(target, a.profile, workers, log);
    try {
      const transports =
        transport === undefined ? a.transports.filter((t) => target.transports.includes(t)) : [transport];
      // The publish scenario does not depend on the transport: once per hub.
      // The soak mixes both transports itself: once per hub as well.
      const scenarios = first
        ? a.scenarios
        : a.scenarios.filter((s) => s !== 'publish' && s !== 'soak' && s !== 'storm-resume');
      results.push(...(await runTarget(gen.ctx, { scenarios, transports, subscribers: a.subscribers })));
    } catch (err) {
      notes.push(`${label} failed: ${(err as Error).message}`);
      log(`   failed: ${(err as Error).stack}`);
    } finally {
      gen.close();
      await started?.stop();
    }
  }
  clearTimeout(watchdog);
  return finish();
}

function selectTargets(
  targets: readonly TargetDef[],
  list: string | undefined,
  notes: string[],
): TargetDef[] {
  const wanted = list?.split(',').map((s) => s.trim());
  const out: TargetDef[] = [];
  // In the order asked for: running a comparison twice in both orders shows what drifted on the machine.
  const ordered = wanted === undefined ? targets : wanted.flatMap((w) => targets.filter((t) => t.name === w));
  for (const def of ordered) {
    if (wanted === undefined && def.optIn === true) continue;
    const why = def.unavailable();
    if (why === undefined) out.push(def);
    else {
      notes.push(`${def.name} skipped: ${why}`);
      console.log(`note: ${def.name} skipped: ${why}`);
    }
  }
  for (const w of wanted ?? []) if (!targets.some((t) => t.name === w)) notes.push(`unknown target ${w}`);
  return out;
}

process.exitCode = await main(process.argv.slice(2));
