// The pure half of the histogram scenario: /metrics text parsed, two scrapes subtracted, quantiles interpolated
// as Prometheus does, and the generator's latencies counted into the hub's bounds — literal fixtures.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deltaBuckets, parseBuckets, quantile, rebucket, relativeError } from './prom-histogram.ts';

const NAME = 'switchboard_publish_to_write_seconds';

const BEFORE = `# HELP ${NAME} Publish accepted to socket write.
# TYPE ${NAME} histogram
${NAME}_bucket{le="0.001",transport="ws"} 10
${NAME}_bucket{le="0.002",transport="ws"} 20
${NAME}_bucket{le="0.004",transport="ws"} 20
${NAME}_bucket{le="+Inf",transport="ws"} 20
${NAME}_sum{transport="ws"} 0.02
${NAME}_count{transport="ws"} 20
${NAME}_bucket{le="0.001",transport="sse"} 7
${NAME}_bucket{le="0.002",transport="sse"} 7
${NAME}_bucket{le="0.004",transport="sse"} 7
${NAME}_bucket{le="+Inf",transport="sse"} 7
other_bucket{le="0.001",transport="ws"} 999
`;

const AFTER = `${NAME}_bucket{transport="ws",le="0.004"} 220
${NAME}_bucket{transport="ws",le="0.001"} 10
${NAME}_bucket{transport="ws",le="0.002"} 120
${NAME}_bucket{transport="ws",le="+Inf"} 220
`;

describe('Prometheus histogram from /metrics', () => {
  it('reads one series, cumulative by bound, whatever the label order', () => {
    assert.deepEqual(parseBuckets(BEFORE, NAME, 'transport', 'ws'), {
      bounds: [0.001, 0.002, 0.004, Number.POSITIVE_INFINITY],
      counts: [10, 20, 20, 20],
    });
    assert.deepEqual(parseBuckets(AFTER, NAME, 'transport', 'ws')?.counts, [10, 120, 220, 220]);
    assert.deepEqual(parseBuckets(BEFORE, NAME, 'transport', 'sse')?.counts, [7, 7, 7, 7]);
    assert.equal(parseBuckets(BEFORE, NAME, 'transport', 'pusher'), undefined);
  });

  it('takes the delta of two scrapes bound by bound', () => {
    const d = deltaBuckets(
      parseBuckets(BEFORE, NAME, 'transport', 'ws'),
      parseBuckets(AFTER, NAME, 'transport', 'ws')!,
    );
    assert.deepEqual(d.counts, [0, 100, 200, 200]);
    assert.deepEqual(deltaBuckets(undefined, { bounds: [1, 2], counts: [3, 4] }).counts, [3, 4]);
  });

  it('interpolates quantiles as histogram_quantile does', () => {
    const d = { bounds: [0.001, 0.002, 0.004, Number.POSITIVE_INFINITY], counts: [0, 100, 200, 200] };
    // Rank 100 of 200: the top of the second bucket.
    assert.equal(quantile(d, 0.5), 0.002);
    // Rank 50: half-way through (0.001, 0.002].
    assert.equal(quantile(d, 0.25), 0.0015);
    // Rank 198: 98 of the 100 in (0.002, 0.004].
    assert.ok(Math.abs(quantile(d, 0.99)! - 0.00396) < 1e-12);
    // The first bucket's lower bound is 0.
    assert.equal(quantile({ bounds: [0.001, Number.POSITIVE_INFINITY], counts: [4, 4] }, 0.5), 0.0005);
    // A rank in +Inf gives the largest finite bound.
    assert.equal(quantile({ bounds: [0.001, Number.POSITIVE_INFINITY], counts: [1, 4] }, 0.99), 0.001);
    assert.equal(quantile({ bounds: [0.001, Number.POSITIVE_INFINITY], counts: [0, 0] }, 0.5), undefined);
  });

  it("counts the generator's buckets (µs) into the hub's bounds (s) by their middle", () => {
    // Generator buckets below 32 hold one µs each: bucket i's middle is i µs.
    const pairs: Array<[number, number]> = [
      [5, 3], // 5 µs
      [31, 2], // 31 µs
    ];
    const b = rebucket(pairs, [0.00001, 0.0001, Number.POSITIVE_INFINITY]);
    assert.deepEqual(b.bounds, [0.00001, 0.0001, Number.POSITIVE_INFINITY]);
    assert.deepEqual(b.counts, [3, 5, 5]);
    // Past every finite bound: +Inf only.
    assert.deepEqual(rebucket([[31, 1]], [0.00001]).counts, [0, 1]);
  });

  it('relative error, rounded; undefined without a reference', () => {
    assert.equal(relativeError(1.1, 1), 0.1);
    assert.equal(relativeError(0.9, 1), 0.1);
    assert.equal(relativeError(1, 0), undefined);
    assert.equal(relativeError(undefined, 1), undefined);
  });
});
