// Side-by-side tables of every target, Switchboard's ratios to the baselines and peers, and the chart panels.

import { generatorLimited, headline, marks, num, renderTable, type ScenarioResult } from '@switchboard/bench';
import type { Panel } from './svg.ts';

export { generatorLimited, marks };

const key = (r: ScenarioResult): string => `${r.scenario}|${r.transport}|${r.requested}`;

function rowsOf(results: ScenarioResult[]): Map<string, ScenarioResult[]> {
  const rows = new Map<string, ScenarioResult[]>();
  for (const r of results) rows.set(key(r), [...(rows.get(key(r)) ?? []), r]);
  return rows;
}

/** One row per scenario, transport and size; one column per target, holding its headline figure. */
export function comparisonTable(results: ScenarioResult[], targets: string[]): string {
  const rows: string[][] = [];
  for (const group of rowsOf(results).values()) {
    const first = group[0]!;
    const h = headline(first);
    const cells = targets.map((t) => {
      const r = group.find((g) => g.target === t);
      if (r === undefined) return '';
      return `${num(headline(r).value)}${marks(r, 'max_delivered_per_s')}`;
    });
    rows.push([first.scenario, num(first.requested), first.transport, h.unit, ...cells]);
  }
  return renderTable(['scenario', 'subs', 'transport', 'unit', ...targets], rows);
}

interface RatioMetric {
  scenario: ScenarioResult['scenario'];
  metric: string;
  label: string;
  higherIsBetter: boolean;
}

export const RATIO_METRICS: RatioMetric[] = [
  { scenario: 'fanout', metric: 'max_delivered_per_s', label: 'max msg/s', higherIsBetter: true },
  { scenario: 'fanout', metric: 'p99_at_half_ms', label: 'p99 ms at half max', higherIsBetter: false },
  { scenario: 'channels', metric: 'max_delivered_per_s', label: 'max msg/s', higherIsBetter: true },
  { scenario: 'single', metric: 'max_delivered_per_s', label: 'max msg/s', higherIsBetter: true },
  { scenario: 'single-pipeline', metric: 'max_delivered_per_s', label: 'max msg/s', higherIsBetter: true },
  { scenario: 'single-stream', metric: 'max_delivered_per_s', label: 'max msg/s', higherIsBetter: true },
  { scenario: 'idle', metric: 'kb_per_conn', label: 'KB/conn', higherIsBetter: false },
  { scenario: 'storm', metric: 'conn_per_s', label: 'conn/s', higherIsBetter: true },
  { scenario: 'publish', metric: 'rtt_p99_ms', label: 'POST p99 ms', higherIsBetter: false },
  { scenario: 'bytes', metric: 'bytes_per_msg', label: 'B/msg', higherIsBetter: false },
];

/** The baselines a Switchboard figure is compared with, by transport. */
function references(transport: ScenarioResult['transport']): string[] {
  if (transport === 'ws') return ['ws-naive', 'ws-once', 'nchan', 'socketio'];
  if (transport === 'sse') return ['sse-naive', 'sse-once', 'nchan'];
  return ['ws-naive', 'nchan', 'socketio'];
}

/** The hub of another checkout (`--base-checkout`): a change measured against where it started. */
export const BASE_TARGET = 'switchboard-base';

/**
 * Switchboard ÷ each reference, for the figures the issue sets targets on; with a `switchboard-base` in the run,
 * ÷ base too (after ÷ before).
 */
export function ratioTable(results: ScenarioResult[], hub = 'switchboard'): string | undefined {
  const withBase = results.some((r) => r.target === BASE_TARGET);
  const rows: string[][] = [];
  for (const group of rowsOf(results).values()) {
    const mine = group.find((r) => r.target === hub);
    if (mine === undefined) continue;
    for (const m of RATIO_METRICS.filter((x) => x.scenario === mine.scenario)) {
      const v = mine.metrics[m.metric];
      if (v === undefined) continue;
      const ratio = (target: string | undefined): string => {
        const other = group.find((r) => r.target === target)?.metrics[m.metric];
        return other === undefined || other === 0 ? '' : `${(v / other).toFixed(2)}×`;
      };
      const cells = ['naive', 'once', 'nchan', 'socketio'].map((kind) =>
        ratio(references(mine.transport).find((n) => n.endsWith(kind) || n === kind)),
      );
      if (withBase) cells.push(ratio(BASE_TARGET));
      rows.push([
        mine.scenario,
        num(mine.requested),
        mine.transport,
        `${m.label} ${m.higherIsBetter ? '↑' : '↓'}`,
        `${num(v)}${marks(mine, m.metric)}`,
        ...cells,
      ]);
    }
  }
  if (rows.length === 0) return undefined;
  return renderTable(
    [
      'scenario',
      'subs',
      'transport',
      'figure',
      hub,
      '÷ naive loop',
      '÷ built once',
      '÷ nchan',
      '÷ socket.io',
      ...(withBase ? ['÷ base'] : []),
    ],
    rows,
  );
}

/** Chart panels: one per figure, groups by size and transport, one bar per target. */
export function panels(results: ScenarioResult[], targets: string[]): Panel[] {
  const out: Panel[] = [];
  const spec: Array<[ScenarioResult['scenario'], string, string, string, boolean]> = [
    [
      'fanout',
      'max_delivered_per_s',
      'Fan-out: max delivered (p99 within bound, nothing lost)',
      'messages/s',
      false,
    ],
    ['fanout', 'p99_at_half_ms', 'Fan-out: p99 latency at half the max rate', 'ms', true],
    ['channels', 'max_delivered_per_s', 'Many channels: max delivered', 'messages/s', false],
    ['single', 'max_delivered_per_s', 'One publish per message: max delivered', 'messages/s', false],
    ['idle', 'kb_per_conn', 'Idle memory per connection (hub RSS delta / connections)', 'KB', true],
    ['storm', 'conn_per_s', 'Connection storm', 'connections/s', false],
    ['bytes', 'bytes_per_msg', 'Bytes on the wire per delivered message', 'bytes', true],
    ['publish', 'rtt_p99_ms', 'Publish round trip through the HTTP API (p99)', 'ms', true],
  ];
  for (const [scenario, metric, title, unit, lowerIsBetter] of spec) {
    const rows = [...rowsOf(results.filter((r) => r.scenario === scenario)).values()];
    if (rows.length === 0) continue;
    out.push({
      title,
      unit,
      lowerIsBetter,
      groups: rows.map((g) => ({
        label: `${g[0]!.transport}${g[0]!.requested > 0 && scenario !== 'bytes' ? ` · ${num(g[0]!.requested)}` : ''}`,
        bars: targets
          .filter((t) => g.some((r) => r.target === t))
          .map((t) => {
            const r = g.find((x) => x.target === t);
            return { name: t, value: r?.metrics[metric], flag: r !== undefined && generatorLimited(r) };
          }),
      })),
    });
  }
  return out;
}
