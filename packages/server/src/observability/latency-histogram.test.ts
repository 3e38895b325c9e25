import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, type Metric, Registry } from '@prometheus-io/client';
import { LatencyHistogram } from './latency-histogram.ts';

describe('LatencyHistogram', () => {
  it('exports exactly what a prom-client Histogram with the same observations exports', async () => {
    const buckets = [0.001, 0.002, 0.005];
    const ours = new Registry();
    const fast = new LatencyHistogram({ name: 'h_seconds', help: 'h', labelName: 'transport', buckets });
    ours.registerMetric(fast as unknown as Metric);
    const theirs = new Registry();
    const reference = new Histogram({
      name: 'h_seconds',
      help: 'h',
      labelNames: ['transport'],
      buckets,
      registers: [theirs],
    });
    // On a bound (upper-inclusive), between bounds, past the last one, on two label values.
    const seen: [string, number][] = [
      ['ws', 0.001],
      ['ws', 0.0015],
      ['ws', 0.0001],
      ['ws', 0.009],
      ['sse', 0.002],
      ['sse', 0.0049],
    ];
    for (const [transport, v] of seen) {
      fast.series(transport).observe(v);
      reference.observe({ transport }, v);
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
    assert.match(await ours.metrics(), /h_seconds_bucket\{le="0.001",transport="ws"\} 2\n/);
  });

  it('counts an observation of many equal waits as that many observations', async () => {
    const buckets = [0.001, 0.002, 0.005];
    const ours = new Registry();
    const fast = new LatencyHistogram({ name: 'h_seconds', help: 'h', labelName: 'transport', buckets });
    ours.registerMetric(fast as unknown as Metric);
    const theirs = new Registry();
    const reference = new Histogram({
      name: 'h_seconds',
      help: 'h',
      labelNames: ['transport'],
      buckets,
      registers: [theirs],
    });
    fast.series('sse').observe(0.0015, 4);
    fast.series('sse').observe(0.004);
    for (let i = 0; i < 4; i++) reference.observe({ transport: 'sse' }, 0.0015);
    reference.observe({ transport: 'sse' }, 0.004);
    assert.equal(await ours.metrics(), await theirs.metrics());
    assert.match(await ours.metrics(), /h_seconds_count\{transport="sse"\} 5\n/);
  });
});
