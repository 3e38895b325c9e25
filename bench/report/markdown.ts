// Turns a results file into the Markdown tables of docs/benchmarks.md, so every figure there comes from a
// file in bench/results and nothing is copied by hand:
//
//   node bench/report/markdown.ts bench/results/<time>.json

import { readFileSync } from 'node:fs';
import { num, renderTable, type ScenarioResult, STUCK_POLICIES } from '@switchboard/bench';
import { marks, ratioTable } from './compare.ts';

interface RunFile {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  pinning: string;
  results: ScenarioResult[];
  notes: string[];
}

const ORDER = [
  'switchboard',
  'switchboard-lowmem',
  'switchboard-uncapped',
  'ws-naive',
  'ws-once',
  'sse-naive',
  'sse-once',
  'nchan',
  'socketio',
];

function targetsOf(results: ScenarioResult[]): string[] {
  const present = new Set(results.map((r) => r.target));
  return [...ORDER.filter((t) => present.has(t)), ...[...present].filter((t) => !ORDER.includes(t))];
}

/** One table: rows by transport and size, a column per target, cells from `metric`. */
function byTarget(results: ScenarioResult[], scenario: string, metric: string, unit: string): string {
  const rs = results.filter((r) => r.scenario === scenario);
  const targets = targetsOf(rs);
  const rows = new Map<string, ScenarioResult[]>();
  for (const r of rs) {
    const k = `${r.transport}|${r.requested}`;
    rows.set(k, [...(rows.get(k) ?? []), r]);
  }
  const body = [...rows.values()].map((g) => [
    g[0]!.transport,
    num(g[0]!.requested),
    ...targets.map((t) => {
      const r = g.find((x) => x.target === t);
      const v = r?.metrics[metric];
      if (r === undefined) return '';
      return v === undefined ? '—' : `${num(v)}${marks(r, metric)}`;
    }),
  ]);
  return renderTable(['transport', 'subscribers', ...targets], body) + `\n\n(${unit})`;
}

/** WebSocket against SSE for one target, on the same work. */
function wsVsSse(results: ScenarioResult[], target: string): string {
  const get = (scenario: string, transport: string, metric: string, size?: number): number | undefined =>
    results.find(
      (r) =>
        r.target === target &&
        r.scenario === scenario &&
        r.transport === transport &&
        (size === undefined || r.requested === size),
    )?.metrics[metric];
  const sizes = [...new Set(results.filter((r) => r.scenario === 'fanout').map((r) => r.requested))];
  const rows: string[][] = [];
  for (const n of sizes) {
    rows.push([
      `fan-out ${num(n)}: max msg/s`,
      ...['ws', 'sse'].map((t) => num(get('fanout', t, 'max_delivered_per_s', n))),
    ]);
    rows.push([
      `fan-out ${num(n)}: p99 ms at half max`,
      ...['ws', 'sse'].map((t) => num(get('fanout', t, 'p99_at_half_ms', n))),
    ]);
  }
  rows.push([
    'many channels: max msg/s',
    ...['ws', 'sse'].map((t) => num(get('channels', t, 'max_delivered_per_s'))),
  ]);
  if (results.some((x) => x.scenario === 'single'))
    rows.push([
      'one publish per message: max msg/s',
      ...['ws', 'sse'].map((t) => num(get('single', t, 'max_delivered_per_s'))),
    ]);
  rows.push([
    'bytes on the wire per message',
    ...['ws', 'sse'].map((t) => num(get('bytes', t, 'bytes_per_msg'))),
  ]);
  rows.push([
    'idle memory, KB per connection',
    ...['ws', 'sse'].map((t) => num(get('idle', t, 'kb_per_conn'))),
  ]);
  rows.push([
    'connections opened per second',
    ...['ws', 'sse'].map((t) => num(get('storm', t, 'conn_per_s'))),
  ]);
  rows.push([
    'connect-to-subscribed p99, ms',
    ...['ws', 'sse'].map((t) => num(get('storm', t, 'setup_p99_ms'))),
  ]);
  return renderTable([target, 'WebSocket', 'SSE'], rows);
}

/** The stuck-reader scenario: per transport and policy, the same step without and with the stuck reader. */
function stuckTable(results: ScenarioResult[]): string {
  const rows: string[][] = [];
  for (const r of results.filter((x) => x.scenario === 'stuck')) {
    for (const p of STUCK_POLICIES) {
      const m = r.metrics;
      if (m[`${p}_p99_present_ms`] === undefined) continue;
      const other = (label: string) => {
        const cpu = r.steps.find((s) => s.label === `${p} stuck reader ${label}`)?.otherCpu;
        return cpu === undefined ? '?' : `${Math.round(cpu * 100)}%`;
      };
      rows.push([
        `${r.transport} ${p}`,
        `${num(m[`${p}_p99_absent_ms`])} → ${num(m[`${p}_p99_present_ms`])}`,
        `${num(m[`${p}_outgoing_absent_kb`])} → ${num(m[`${p}_outgoing_present_kb`])}`,
        `${num(m[`${p}_rss_absent_mb`])} → ${num(m[`${p}_rss_present_mb`])}`,
        m[`${p}_stuck_disconnected`] === 1 ? 'yes (4001)' : 'no',
        `${other('absent')} / ${other('present')}`,
      ]);
    }
  }
  return renderTable(
    [
      'transport, policy',
      'healthy p99 ms (absent → present)',
      'bytes held, peak KB',
      'hub RSS, peak MB',
      'stuck reader cut off',
      'other CPU (absent / present)',
    ],
    rows,
  );
}

function main(path: string): void {
  const run = JSON.parse(readFileSync(path, 'utf8')) as RunFile;
  const r = run.results;
  const m = run.machine;
  const out: string[] = [];
  out.push(`Run \`${path}\`: ${run.quick ? 'quick' : 'full'}, ${run.startedAt} → ${run.finishedAt}.`);
  out.push(
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; ${run.pinning}.`,
  );
  out.push(
    '`*`: the generator was at its limit (alone or with the hub): the figure is a floor for that hub.',
  );
  out.push('`?`: a second step at that rate failed (or had no time to run): the maximum is unconfirmed.\n');
  const sections: Array<[string, string, string, string]> = [
    [
      'Fan-out: max delivered with p99 ≤ bound and nothing lost',
      'fanout',
      'max_delivered_per_s',
      'messages/s',
    ],
    ['Fan-out: p99 at half the max rate', 'fanout', 'p99_at_half_ms', 'ms'],
    ['Fan-out: estimated capacity of the hub core alone', 'fanout', 'est_hub_capacity_per_s', 'messages/s'],
    ['Fan-out: most delivered with nothing lost, any latency', 'fanout', 'max_lossless_per_s', 'messages/s'],
    ['Many channels: max delivered', 'channels', 'max_delivered_per_s', 'messages/s'],
    ['One publish per message: max delivered', 'single', 'max_delivered_per_s', 'messages/s'],
    ['Idle memory per connection', 'idle', 'kb_per_conn', 'KB, hub RSS delta / connections'],
    ['Connection storm', 'storm', 'conn_per_s', 'connections/s'],
    ['Bytes on the wire per delivered message', 'bytes', 'bytes_per_msg', 'bytes'],
    ['Publish round trip, p50', 'publish', 'rtt_p50_ms', 'ms'],
    ['Publish round trip, p99', 'publish', 'rtt_p99_ms', 'ms'],
    ['Publish throughput (closed loop)', 'publish', 'max_publish_per_s', 'publishes/s'],
  ];
  for (const [title, scenario, metric, unit] of sections) {
    if (!r.some((x) => x.scenario === scenario && x.metrics[metric] !== undefined)) continue;
    out.push(`#### ${title}\n\n${byTarget(r, scenario, metric, unit)}\n`);
  }
  if (r.some((x) => x.scenario === 'stuck'))
    out.push(`#### One stuck reader among 1,000 healthy ones\n\n${stuckTable(r)}\n`);
  for (const t of targetsOf(r).filter(
    (x) =>
      r.some((y) => y.target === x && y.transport === 'sse') &&
      r.some((y) => y.target === x && y.transport === 'ws'),
  )) {
    out.push(`#### WebSocket against SSE: ${t}\n\n${wsVsSse(r, t)}\n`);
  }
  const ratios = ratioTable(r);
  if (ratios !== undefined) out.push(`#### Switchboard ÷ the others\n\n${ratios}\n`);
  if (run.notes.length > 0)
    out.push(`#### Notes of the run\n\n${run.notes.map((n) => `- ${n}`).join('\n')}\n`);
  console.log(out.join('\n'));
}

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: node bench/report/markdown.ts bench/results/<time>.json');
  process.exitCode = 2;
} else main(file);
