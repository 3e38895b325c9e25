// The publish-to-write histogram's buckets, validated under load: 100 WebSocket subscribers on one channel, 200
// publications a second for 3 s (60,000 deliveries), each publication carrying the time it was published. The
// subscribers' own measurement (publish to receipt, every delivery, exact) is the generator's; the hub's is
// switchboard_publish_to_write_seconds{transport="ws"}.
// - The buckets: the generator's samples, counted into the hub's buckets, give p50 and p99 (interpolated as
//   Prometheus' histogram_quantile does) within 10% of the exact ones.
// - The hub's own histogram counts every delivery once, and its p50 and p99 are no later than the generator's
//   (its interval, publish accepted to socket write, lies inside publish to receipt), within the same 10%.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { LatencyHistogram } from '../../packages/server/src/observability/latency-histogram.ts';
import { LATENCY_BUCKETS } from '../../packages/server/src/observability/metrics.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

const SUBSCRIBERS = 100;
const RATE = 200;
const SECONDS = 3;
const TOLERANCE = 0.1;

/** Cumulative bucket counts of one series of a histogram in a /metrics text, by bound. */
async function buckets(url: string, name: string, transport: string): Promise<number[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return LATENCY_BUCKETS.map((le) => {
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name}_bucket{le="${le}",transport="${transport}"}`));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  });
}

/** histogram_quantile over cumulative counts: linear inside the bucket the rank falls in. */
function quantile(counts: readonly number[], q: number): number {
  const total = counts.at(-1)!;
  const rank = q * total;
  const i = counts.findIndex((c) => c >= rank);
  const lower = i === 0 ? 0 : LATENCY_BUCKETS[i - 1]!;
  const below = i === 0 ? 0 : counts[i - 1]!;
  return lower + ((LATENCY_BUCKETS[i]! - lower) * (rank - below)) / (counts[i]! - below);
}

/** The exact quantile of sorted samples (nearest rank). */
function exact(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

describe('publish-to-write histogram under load', () => {
  let hub: TestHub;
  const sockets: WebSocket[] = [];
  const samples: number[] = [];

  before(async () => {
    hub = await startTestHub();
    await Promise.all(
      Array.from({ length: SUBSCRIBERS }, async () => {
        const ws = new WebSocket(hub.wsUrl);
        sockets.push(ws);
        await new Promise<void>((resolve, reject) => {
          ws.on('message', (raw) => {
            const now = performance.now();
            const frame = JSON.parse(String(raw)) as { type: string; data?: { t: number } };
            if (frame.type === 'subscribed') resolve();
            // The hub runs in this process: publisher and subscribers share the clock.
            if (frame.type === 'message') samples.push((now - frame.data!.t) / 1000);
          });
          ws.on('error', reject);
          ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', channel: 'lat', id: 1 })));
        });
      }),
    );
  });

  after(async () => {
    for (const ws of sockets) ws.terminate();
    await hub.shutdown();
  });

  it('reads p50 and p99 within 10% from its buckets, and the hub measures inside the generator', async () => {
    const before = await buckets(hub.url, 'switchboard_publish_to_write_seconds', 'ws');
    const total = RATE * SECONDS;
    let sent = 0;
    const started = performance.now();
    // A publication every 1000/RATE ms on average: each tick publishes what is due by now.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE));
        for (; sent < due; sent++) void hub.node.publish('lat', { t: performance.now() }, {}, 'api');
        if (sent === total) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const deadline = Date.now() + 20_000;
    while (samples.length < total * SUBSCRIBERS && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(samples.length, total * SUBSCRIBERS, 'every delivery arrived');

    const after = await buckets(hub.url, 'switchboard_publish_to_write_seconds', 'ws');
    const hubCounts = after.map((c, i) => c - before[i]!);
    const sorted = samples.toSorted((a, b) => a - b);
    const generator = { p50: exact(sorted, 0.5), p99: exact(sorted, 0.99) };

    // The generator's own samples, counted into the hub's buckets.
    const h = new LatencyHistogram({
      name: 'check',
      help: 'check',
      labelName: 'x',
      buckets: LATENCY_BUCKETS,
    });
    const series = h.series('x');
    for (const s of samples) series.observe(s);
    let cumulative = 0;
    const counts = LATENCY_BUCKETS.map((_, i) => (cumulative += series.counts[i]!));
    const fromBuckets = { p50: quantile(counts, 0.5), p99: quantile(counts, 0.99) };
    const hubSide = { p50: quantile(hubCounts, 0.5), p99: quantile(hubCounts, 0.99) };
    const ms = (o: { p50: number; p99: number }) =>
      `p50 ${(o.p50 * 1000).toFixed(3)} ms, p99 ${(o.p99 * 1000).toFixed(3)} ms`;
    // Figures from a busy shared machine; printed for the record, not compared with anything but each other.
    console.log(
      `# ${SUBSCRIBERS} subscribers x ${RATE}/s x ${SECONDS}s: generator ${ms(generator)}; ` +
        `its samples in the buckets ${ms(fromBuckets)}; the hub's histogram ${ms(hubSide)}`,
    );
    for (const q of ['p50', 'p99'] as const) {
      const error = Math.abs(fromBuckets[q] - generator[q]) / generator[q];
      assert.ok(error <= TOLERANCE, `${q}: ${fromBuckets[q]} from the buckets vs ${generator[q]} exact`);
      assert.ok(hubSide[q] > 0);
      assert.ok(
        hubSide[q] <= generator[q] * (1 + TOLERANCE),
        `${q}: the hub measured ${hubSide[q]}, later than the generator's ${generator[q]}`,
      );
    }
    assert.equal(hubCounts.at(-1), total * SUBSCRIBERS, 'the hub counted every delivery once');
  });
});
