// The issues' targets, judged from results files: one row per goal, measured against target, met or missed.
// Rows come from the figures, never by hand, so docs/benchmarks.md cannot claim a goal its run did not show.

import { marks } from './marks.ts';
import type { ScenarioResult } from './results.ts';
import { num } from './table.ts';

export type Verdict = 'met' | 'missed' | 'undecided' | 'not measured';

export interface Goal {
  /** Where the target was set. */
  issue: number;
  label: string;
  scenario: ScenarioResult['scenario'];
  transport: ScenarioResult['transport'];
  metric: string;
  /**
   * `at-most`: Switchboard's figure ≤ `value` (an absolute bound, e.g. KB per connection).
   * `ratio-at-least`: Switchboard ÷ the best of `refs` ≥ `value` (higher is better).
   * `ratio-at-most`: Switchboard ÷ the best of `refs` ≤ `value` (lower is better).
   */
  kind: 'at-most' | 'ratio-at-least' | 'ratio-at-most';
  value: number;
  /** The targets compared with; the goal holds against every one of them (the best of them decides). */
  refs?: readonly string[];
  /** The size the goal names; the run's largest size is used when it has no result at this one. */
  size?: number;
}

export interface GoalRow {
  goal: Goal;
  verdict: Verdict;
  /** Switchboard's figure, with its marks (`*` a floor, `?` unconfirmed). */
  measured: string;
  /** The reference that decided, with its figure and marks. */
  against: string;
  ratio: string;
  /** What a reader must know: a floor, another size, what is missing. */
  note: string;
}

const LOOPS_WS = ['ws-naive', 'ws-once'] as const;
const LOOPS_SSE = ['sse-naive', 'sse-once'] as const;

/** The targets of issue 17 (memory, SSE at scale, many channels, bytes, set-up) and issue 23 (one publish). */
export const GOALS: readonly Goal[] = [
  {
    issue: 17,
    label: 'idle memory, WebSocket, ≤ 8 KB/conn',
    scenario: 'idle',
    transport: 'ws',
    metric: 'kb_per_conn',
    kind: 'at-most',
    value: 8,
    size: 19_000,
  },
  {
    issue: 17,
    label: 'idle memory, SSE, ≤ 10 KB/conn',
    scenario: 'idle',
    transport: 'sse',
    metric: 'kb_per_conn',
    kind: 'at-most',
    value: 10,
    size: 19_000,
  },
  {
    issue: 17,
    label: 'SSE fan-out 10,000, ≥ 1.0× the bytes-once loop',
    scenario: 'fanout',
    transport: 'sse',
    metric: 'max_delivered_per_s',
    kind: 'ratio-at-least',
    value: 1,
    refs: ['sse-once'],
    size: 10_000,
  },
  {
    issue: 17,
    label: 'SSE fan-out 10,000, ≥ nchan',
    scenario: 'fanout',
    transport: 'sse',
    metric: 'max_delivered_per_s',
    kind: 'ratio-at-least',
    value: 1,
    refs: ['nchan'],
    size: 10_000,
  },
  {
    issue: 17,
    label: 'many channels, WebSocket, ≥ 1.0× the loops',
    scenario: 'channels',
    transport: 'ws',
    metric: 'max_delivered_per_s',
    kind: 'ratio-at-least',
    value: 1,
    refs: LOOPS_WS,
  },
  {
    issue: 17,
    label: 'many channels, WebSocket, ≥ 1.5× nchan',
    scenario: 'channels',
    transport: 'ws',
    metric: 'max_delivered_per_s',
    kind: 'ratio-at-least',
    value: 1.5,
    refs: ['nchan'],
  },
  {
    issue: 17,
    label: 'many channels, SSE, ≥ 1.0× the loops',
    scenario: 'channels',
    transport: 'sse',
    metric: 'max_delivered_per_s',
    kind: 'ratio-at-least',
    value: 1,
    refs: LOOPS_SSE,
  },
  {
    issue: 17,
    label: 'many channels, SSE, ≥ 1.5× nchan',
    scenario: 'channels',
    transport: 'sse',
    metric: 'max_delivered_per_s',
    kind: 'ratio-at-least',
    value: 1.5,
    refs: ['nchan'],
  },
  {
    issue: 17,
    label: 'bytes per message, WebSocket, ≤ 1.25× nchan',
    scenario: 'bytes',
    transport: 'ws',
    metric: 'bytes_per_msg',
    kind: 'ratio-at-most',
    value: 1.25,
    refs: ['nchan'],
  },
  {
    issue: 17,
    label: 'bytes per message, SSE, ≤ 1.25× nchan',
    scenario: 'bytes',
    transport: 'sse',
    metric: 'bytes_per_msg',
    kind: 'ratio-at-most',
    value: 1.25,
    refs: ['nchan'],
  },
  {
    issue: 17,
    label: 'set-up rate, WebSocket, ≥ nchan',
    scenario: 'storm',
    transport: 'ws',
    metric: 'conn_per_s',
    kind: 'ratio-at-least',
    value: 1,
    refs: ['nchan'],
  },
  {
    issue: 17,
    label: 'set-up rate, SSE, ≥ nchan',
    scenario: 'storm',
    transport: 'sse',
    metric: 'conn_per_s',
    kind: 'ratio-at-least',
    value: 1,
    refs: ['nchan'],
  },
  {
    issue: 23,
    label: 'one publish per message, WebSocket, ≥ 1.0× the minimal loops',
    scenario: 'single',
    transport: 'ws',
    metric: 'max_delivered_per_s',
    kind: 'ratio-at-least',
    value: 1,
    refs: LOOPS_WS,
  },
  {
    issue: 23,
    label: 'one publish per message, SSE, ≥ 1.0× the minimal loops',
    scenario: 'single',
    transport: 'sse',
    metric: 'max_delivered_per_s',
    kind: 'ratio-at-least',
    value: 1,
    refs: LOOPS_SSE,
  },
];

/** Whether the generator (or publisher) limited the figure: it is a floor for that hub. */
function isFloor(r: ScenarioResult, metric: string): boolean {
  return marks(r, metric).includes('*');
}

/** The result of `target` for the goal: at the goal's size when the run has it, else at the largest size. */
function pick(results: readonly ScenarioResult[], goal: Goal, target: string): ScenarioResult | undefined {
  const all = results.filter(
    (r) =>
      r.scenario === goal.scenario &&
      r.transport === goal.transport &&
      r.target === target &&
      r.metrics[goal.metric] !== undefined,
  );
  return all.find((r) => r.requested === goal.size) ?? all.sort((a, b) => b.requested - a.requested)[0];
}

const show = (r: ScenarioResult, metric: string): string => `${num(r.metrics[metric])}${marks(r, metric)}`;

/** Judges one goal. `hub` is the Switchboard target's name in the run. */
export function judge(results: readonly ScenarioResult[], goal: Goal, hub = 'switchboard'): GoalRow {
  const mine = pick(results, goal, hub);
  const row = (verdict: Verdict, fields: Partial<GoalRow>): GoalRow => ({
    goal,
    verdict,
    measured: '—',
    against: '—',
    ratio: '—',
    note: '',
    ...fields,
  });
  if (mine === undefined)
    return row('not measured', { note: `no ${goal.scenario} ${goal.transport} result for ${hub}` });
  const v = mine.metrics[goal.metric]!;
  const notes: string[] = [];
  if (goal.size !== undefined && mine.requested !== goal.size)
    notes.push(`measured at ${num(mine.requested)}, the goal names ${num(goal.size)}`);
  const measured = show(mine, goal.metric);
  if (goal.kind === 'at-most') {
    return row(v <= goal.value ? 'met' : 'missed', { measured, note: notes.join('; ') });
  }
  const refs = (goal.refs ?? [])
    .map((t) => pick(results, goal, t))
    .filter((r): r is ScenarioResult => r !== undefined && r.metrics[goal.metric]! > 0);
  const absent = (goal.refs ?? []).filter((t) => !refs.some((r) => r.target === t));
  if (refs.length === 0) return row('not measured', { measured, note: `no result for ${absent.join(', ')}` });
  if (absent.length > 0) notes.push(`no result for ${absent.join(', ')}`);
  // The reference that decides: the strongest one (highest when higher is better, lowest otherwise).
  const higher = goal.kind === 'ratio-at-least';
  const ref = refs.reduce((best, r) =>
    higher === r.metrics[goal.metric]! > best.metrics[goal.metric]! ? r : best,
  );
  const ratio = v / ref.metrics[goal.metric]!;
  const passes = higher ? ratio >= goal.value : ratio <= goal.value;
  // A floor moves a figure one way only: a pass against a reference that is itself a floor, or a miss by a figure
  // that is a floor, is not shown by this run.
  const mineFloor = isFloor(mine, goal.metric);
  const refFloor = isFloor(ref, goal.metric);
  let verdict: Verdict = passes ? 'met' : 'missed';
  if (higher && passes && refFloor) {
    verdict = 'undecided';
    notes.push(`${ref.target}'s figure is a floor (the generator was its limit)`);
  } else if (higher && !passes && mineFloor) {
    verdict = 'undecided';
    notes.push(`${hub}'s figure is a floor (the generator was its limit)`);
  }
  if (absent.length > 0 && verdict === 'met') verdict = 'undecided';
  return row(verdict, {
    measured,
    against: `${ref.target} ${show(ref, goal.metric)}`,
    ratio: `${ratio.toFixed(2)}×`,
    note: notes.join('; '),
  });
}

/** Every goal judged against the results of one or more runs (later files win where they overlap). */
export function judgeAll(results: readonly ScenarioResult[], hub = 'switchboard'): GoalRow[] {
  return GOALS.map((g) => judge(results, g, hub));
}
