import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GOALS, judge, judgeAll } from './goals.ts';
import type { ScenarioResult } from './results.ts';

function result(
  scenario: ScenarioResult['scenario'],
  transport: ScenarioResult['transport'],
  target: string,
  metrics: Record<string, number>,
  extra: Partial<ScenarioResult> = {},
): ScenarioResult {
  return {
    scenario,
    transport,
    target,
    requested: 10_000,
    subscribers: 10_000,
    metrics,
    steps: [],
    notes: [],
    unconfirmed: [],
    ...extra,
  };
}

const goal = (label: string) => {
  const g = GOALS.find((x) => x.label.startsWith(label));
  assert.ok(g, label);
  return g;
};

describe('goals', () => {
  it('an absolute bound is met at or under it, missed over it, and says when the size differs', () => {
    const g = goal('idle memory, SSE');
    const under = judge([result('idle', 'sse', 'switchboard', { kb_per_conn: 9.9 })], g);
    assert.equal(under.verdict, 'met');
    assert.match(under.note, /measured at 10,000, the goal names 19,000/);
    const over = judge(
      [result('idle', 'sse', 'switchboard', { kb_per_conn: 10.1 }, { requested: 19_000 })],
      g,
    );
    assert.equal(over.verdict, 'missed');
    assert.equal(over.note, '');
  });

  it('a ratio goal against several loops is decided by the strongest one', () => {
    const g = goal('many channels, SSE, ≥ 1.0× the loops');
    const rs = [
      result('channels', 'sse', 'switchboard', { max_delivered_per_s: 50_000 }),
      result('channels', 'sse', 'sse-naive', { max_delivered_per_s: 40_000 }),
      result('channels', 'sse', 'sse-once', { max_delivered_per_s: 60_000 }),
    ];
    const row = judge(rs, g);
    assert.equal(row.verdict, 'missed');
    assert.equal(row.against, 'sse-once 60,000');
    assert.equal(row.ratio, '0.83×');
  });

  it('lower is better for bytes: the smallest reference decides, and the bound is inclusive', () => {
    const g = goal('bytes per message, WebSocket');
    const rs = [
      result('bytes', 'ws', 'switchboard', { bytes_per_msg: 125 }),
      result('bytes', 'ws', 'nchan', { bytes_per_msg: 100 }),
    ];
    assert.equal(judge(rs, g).verdict, 'met');
    rs[0]!.metrics.bytes_per_msg = 126;
    assert.equal(judge(rs, g).verdict, 'missed');
  });

  it('a pass against a reference whose figure is a floor is not shown, nor a miss by a floor', () => {
    const g = goal('set-up rate, WebSocket');
    const floor = { notes: ['the generator was at full CPU: the figure is a floor'] };
    const passOverFloor = judge(
      [
        result('storm', 'ws', 'switchboard', { conn_per_s: 12_000 }),
        result('storm', 'ws', 'nchan', { conn_per_s: 11_000 }, floor),
      ],
      g,
    );
    assert.equal(passOverFloor.verdict, 'undecided');
    assert.match(passOverFloor.note, /nchan's figure is a floor/);
    assert.equal(passOverFloor.against, 'nchan 11,000*');
    const missByFloor = judge(
      [
        result('storm', 'ws', 'switchboard', { conn_per_s: 9_000 }, floor),
        result('storm', 'ws', 'nchan', { conn_per_s: 11_000 }),
      ],
      g,
    );
    assert.equal(missByFloor.verdict, 'undecided');
    const plainMiss = judge(
      [
        result('storm', 'ws', 'switchboard', { conn_per_s: 9_000 }),
        result('storm', 'ws', 'nchan', { conn_per_s: 11_000 }, floor),
      ],
      g,
    );
    assert.equal(plainMiss.verdict, 'missed');
  });

  it('a goal with no figure, or no reference, is not measured; a missing loop keeps a pass undecided', () => {
    assert.equal(judge([], goal('set-up rate, SSE')).verdict, 'not measured');
    const g = goal('one publish per message, WebSocket');
    const onlyHub = judge([result('single', 'ws', 'switchboard', { max_delivered_per_s: 1 })], g);
    assert.equal(onlyHub.verdict, 'not measured');
    assert.match(onlyHub.note, /no result for ws-naive, ws-once/);
    const oneLoop = judge(
      [
        result('single', 'ws', 'switchboard', { max_delivered_per_s: 20_000 }),
        result('single', 'ws', 'ws-once', { max_delivered_per_s: 10_000 }),
      ],
      g,
    );
    assert.equal(oneLoop.verdict, 'undecided');
    assert.match(oneLoop.note, /no result for ws-naive/);
  });

  it('the goal size wins over larger sizes, and every goal gets a row', () => {
    const g = goal('SSE fan-out 10,000, ≥ 1.0×');
    const rs = [
      result('fanout', 'sse', 'switchboard', { max_delivered_per_s: 5 }, { requested: 20_000 }),
      result('fanout', 'sse', 'switchboard', { max_delivered_per_s: 80 }),
      result('fanout', 'sse', 'sse-once', { max_delivered_per_s: 70 }),
      result('fanout', 'sse', 'sse-once', { max_delivered_per_s: 1 }, { requested: 20_000 }),
    ];
    assert.equal(judge(rs, g).verdict, 'met');
    assert.equal(judgeAll(rs).length, GOALS.length);
  });
});
