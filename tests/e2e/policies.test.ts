// Delivery policies under a deliberately slow reader (a raw socket that stops reading) on a hot channel, over
// both transports: the hub's buffer for the slow reader stays bounded, the slow reader gets what its policy
// promises, and a fast reader on the same channel gets every publication, in order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import { encodeCursor } from '../../packages/protocol/src/cursor.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { metric } from '../helpers/metrics.ts';
import {
  type FastReader,
  FILLER,
  fastReader,
  peakDuring,
  publishBurst,
  sessionOf,
  slowReader,
  type TransportKind,
} from '../helpers/policies.ts';
import type { SlowReader } from '../helpers/slow-reader.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

/** 3,000 × 8 KiB = 24 MiB through the channel: several times what the kernel buffers of one socket hold. */
const N = 3_000;
/**
 * The most the hub may hold for a gated slow reader: the delivery high-water mark (64 KiB with the default
 * outgoing limit) plus the frame that crossed it, with a wide margin. An ungated reader piles up megabytes.
 */
const GATED_BOUND = 512 * 1024;

function assertOrdered(messages: Record<string, any>[], what: string): void {
  for (let i = 1; i < messages.length; i++)
    assert.ok(messages[i]!.offset > messages[i - 1]!.offset, `${what}: offsets must only grow`);
}

/** Every offset 1..n exactly once, in order. */
function assertEvery(messages: Record<string, any>[], n: number, what: string): void {
  assert.equal(messages.length, n, what);
  messages.forEach((m, i) => {
    assert.equal(m.offset, i + 1, what);
  });
}

for (const kind of ['websocket', 'sse'] as const satisfies readonly TransportKind[]) {
  describe(`delivery policies over ${kind}`, () => {
    let hub: TestHub;
    before(async () => {
      hub = await startTestHub({
        // The burst publisher is one client connection: off with the per-connection command and publish rates, not
        // what these tests measure (tests/e2e/hardening.test.ts does).
        limits: { publishRate: 0, commandRate: 0 },
        channel: { presence: false },
        namespaces: {
          latest: { clientPublish: true, delivery: { policy: 'latest' } },
          keyed: {
            clientPublish: true,
            delivery: { policy: 'latest', conflateKey: 'symbol', queueSize: 100 },
          },
          drop: { clientPublish: true, delivery: { policy: 'drop-oldest', queueSize: 20 } },
          all: { clientPublish: true, history: { size: N } },
          capped: { clientPublish: true, delivery: { policy: 'latest', maxRate: 20 } },
        },
      });
    });
    after(() => hub.shutdown());

    /** Pauses `slow`, publishes N to `channel` at the pace `fast` reads; returns the peak bytes held for `slow`. */
    async function hotChannel(
      slow: SlowReader,
      fast: FastReader,
      channel: string,
      data: (i: number) => unknown,
    ) {
      const session = sessionOf(hub, slow);
      slow.pause();
      return peakDuring(
        () => session.transport.writableBytes,
        (sample) => publishBurst(hub, channel, N, data, sample, () => fast.messages(channel).length),
      );
    }

    it('latest: the slow reader is held to a bounded buffer and ends with the newest value', async () => {
      const channel = `latest:${kind}`;
      const conflatedBefore = await metric(hub.url, 'switchboard_dropped_total', { reason: 'conflated' });
      const fast = await fastReader(hub, kind, channel);
      const slow = await slowReader(hub, kind, channel);
      const peak = await hotChannel(slow, fast, channel, (i) => ({ i, filler: FILLER }));
      assert.ok(peak < GATED_BOUND, `the hub held ${peak} bytes for the slow reader`);
      assert.equal(sessionOf(hub, slow).state, 'open', 'latest never disconnects a slow reader');

      assertEvery(await fast.waitMessages(N, channel, 30_000), N, 'the fast reader gets every publication');
      slow.resume();
      await until(
        () => slow.messages(channel).at(-1)?.offset === N,
        () => `slow reader's last offset: ${slow.messages(channel).at(-1)?.offset}`,
        30_000,
      );
      const got = slow.messages(channel);
      assert.deepEqual(got.at(-1)!.data, { i: N, filler: FILLER });
      assert.ok(got.length < N / 2, `conflated: ${got.length} of ${N} delivered`);
      assertOrdered(got, 'slow reader');
      assert.equal(slow.frames.filter((f) => f.type === 'skipped').length, 0, 'latest sends no skip counts');
      // Every publication the slow reader did not get was replaced in its gate, and counted.
      const conflated =
        (await metric(hub.url, 'switchboard_dropped_total', { reason: 'conflated' })) - conflatedBefore;
      assert.ok(conflated >= N - got.length, `${conflated} counted, ${N - got.length} not delivered`);
      slow.close();
      await fast.close();
    });

    it('latest with conflateKey: the slow reader ends with the newest value of every key', async () => {
      const channel = `keyed:${kind}`;
      const symbols = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA'];
      const data = (i: number) => ({ symbol: symbols[i % symbols.length], i, filler: FILLER });
      const fast = await fastReader(hub, kind, channel);
      const slow = await slowReader(hub, kind, channel);
      const peak = await hotChannel(slow, fast, channel, data);
      assert.ok(peak < GATED_BOUND, `the hub held ${peak} bytes for the slow reader`);

      assertEvery(await fast.waitMessages(N, channel, 30_000), N, 'the fast reader gets every publication');
      slow.resume();
      const lastOf = (symbol: string) =>
        Math.max(...[...Array(N).keys()].map((k) => k + 1).filter((i) => data(i).symbol === symbol));
      await until(
        () => symbols.every((s) => slow.messages(channel).some((m) => m.offset === lastOf(s))),
        () => `slow reader lacks the last value of some key; last: ${slow.messages(channel).at(-1)?.offset}`,
        30_000,
      );
      const got = slow.messages(channel);
      for (const s of symbols)
        assert.equal(got.filter((m) => m.data.symbol === s).at(-1)!.data.i, lastOf(s), s);
      assert.ok(got.length < N / 2, `conflated: ${got.length} of ${N} delivered`);
      assertOrdered(got, 'slow reader');
      slow.close();
      await fast.close();
    });

    it('drop-oldest: the slow reader is told exactly how many it skipped, every publication accounted for', async () => {
      const channel = `drop:${kind}`;
      const droppedBefore = await metric(hub.url, 'switchboard_dropped_total', { reason: 'queue_full' });
      const fast = await fastReader(hub, kind, channel);
      const slow = await slowReader(hub, kind, channel);
      const peak = await hotChannel(slow, fast, channel, (i) => ({ i, filler: FILLER }));
      assert.ok(peak < GATED_BOUND, `the hub held ${peak} bytes for the slow reader`);
      assert.equal(sessionOf(hub, slow).state, 'open', 'drop-oldest never disconnects a slow reader');

      assertEvery(await fast.waitMessages(N, channel, 30_000), N, 'the fast reader gets every publication');
      slow.resume();
      await until(
        () => slow.messages(channel).at(-1)?.offset === N,
        () => `slow reader's last offset: ${slow.messages(channel).at(-1)?.offset}`,
        30_000,
      );
      // Between two messages, a `skipped` frame says exactly how many offsets are missing there.
      let previous = 0;
      let pendingSkip = 0;
      let skipped = 0;
      let delivered = 0;
      for (const f of slow.frames) {
        if (f.type === 'skipped') {
          assert.equal(f.channel, channel);
          assert.ok(f.count > 0);
          pendingSkip += f.count;
          skipped += f.count;
        } else if (f.type === 'message') {
          assert.equal(f.offset - previous - 1, pendingSkip, `gap before offset ${f.offset}`);
          previous = f.offset;
          pendingSkip = 0;
          delivered++;
        }
      }
      assert.ok(skipped > 0, 'the slow reader skipped some');
      assert.equal(delivered + skipped, N, 'every publication is delivered or counted as skipped');
      const dropped =
        (await metric(hub.url, 'switchboard_dropped_total', { reason: 'queue_full' })) - droppedBefore;
      assert.ok(dropped >= skipped, `${dropped} counted as dropped, ${skipped} skipped`);
      slow.close();
      await fast.close();
    });

    it('all: the slow reader is disconnected as a slow consumer (4001), then recovers every publication', async () => {
      const channel = `all:${kind}`;
      const before = await slowConsumerCount(hub);
      const fast = await fastReader(hub, kind, channel);
      const slow = await slowReader(hub, kind, channel);
      const session = sessionOf(hub, slow);
      slow.pause();
      await publishBurst(hub, channel, N, (i) => ({ i, filler: FILLER }));
      assert.equal(session.state, 'closed', 'the slow reader was disconnected');
      assert.equal(await slowConsumerCount(hub), before + 1, 'as a slow consumer (4001)');
      assertEvery(await fast.waitMessages(N, channel, 30_000), N, 'the fast reader gets every publication');

      // Whatever reached the slow reader before the cut, then a resume from the last position it saw.
      slow.resume();
      await slow.closed();
      const subscribed = slow.frames.find((f) => f.type === 'subscribed')!;
      const seen = slow.messages(channel).at(-1) ?? subscribed;
      assert.ok(seen.offset < N, 'the slow reader missed publications');
      const recovered = await resume(hub, kind, channel, { epoch: seen.epoch, offset: seen.offset });
      assert.equal(recovered.subscribed.recovered, true);
      const rest = await recovered.reader.waitMessages(N - seen.offset, channel, 30_000);
      assert.deepEqual(
        rest.map((m) => m.offset),
        Array.from({ length: N - seen.offset }, (_, k) => seen.offset + 1 + k),
      );
      await recovered.reader.close();
      await fast.close();
    });

    it('a rate cap: at most maxRate deliveries a second, lowered by the subscriber, never raised', async () => {
      const channel = `capped:${kind}`;
      // The namespace caps at 20/s; this subscriber asks for 5 (and another for 50, which stays 20).
      const slow = await slowReader(hub, kind, channel, 5);
      const subscribed = slow.frames.find((f) => f.type === 'subscribed')!;
      assert.equal(subscribed.rate, 5);
      assert.equal(subscribed.delivery, 'latest');
      const greedy = await slowReader(hub, kind, channel, 50);
      assert.equal(greedy.frames.find((f) => f.type === 'subscribed')!.rate, 20);
      const start = Date.now();
      // One publication every 5 ms or so for over a second, far faster than either cap: a `latest` reader then
      // gets one delivery per interval of its rate, so a cap of 20/s and one of 50/s deliver clearly different
      // numbers (a single burst would not tell them apart: it is one delivery and the latest after it).
      const count = 200;
      for (let i = 1; i <= count; i++) {
        await hub.publish(channel, { i });
        await new Promise((r) => setTimeout(r, 5));
      }
      await until(
        () => slow.messages(channel).at(-1)?.offset === count,
        () => `last offset ${slow.messages(channel).at(-1)?.offset}`,
        10_000,
      );
      await until(
        () => greedy.messages(channel).at(-1)?.offset === count,
        () => `greedy: last offset ${greedy.messages(channel).at(-1)?.offset}`,
        10_000,
      );
      // Deliveries at `rate` are at least 1/rate apart and all happen between the subscription and the last
      // arrival, so however late they arrive this bounds their number (lateness only lowers it): the rate each
      // subscriber got is read from what it received, not from what its `subscribed` frame says.
      const elapsed = Date.now() - start;
      for (const [reader, rate, name] of [
        [slow, 5, 'asked 5/s'],
        [greedy, 20, 'asked 50/s, capped at 20/s'],
      ] as const) {
        const got = reader.messages(channel);
        assert.ok(
          got.length <= Math.floor((elapsed * rate) / 1000) + 1,
          `${name}: ${got.length} deliveries in ${elapsed} ms`,
        );
        assert.ok(got.length < count, `${name}: every publication delivered`);
        assertOrdered(got, name);
      }
      slow.close();
      greedy.close();
    });
  });
}

async function slowConsumerCount(hub: TestHub): Promise<number> {
  const res = await fetch(`${hub.url}/metrics`);
  const text = await res.text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('switchboard_disconnects_total{reason="slow_consumer"}'));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

/** Reconnects like a client would after the cut: WebSocket `subscribe` with `since`, SSE `Last-Event-ID`. */
async function resume(
  hub: TestHub,
  kind: TransportKind,
  channel: string,
  since: { epoch: string; offset: number },
) {
  if (kind === 'websocket') {
    const reader = await WsTestClient.connect(hub.wsUrl);
    const subscribed = await reader.request({ type: 'subscribe', channel, since });
    return { reader, subscribed };
  }
  const reader = await SseTestClient.open(`${hub.url}/sse?channel=${encodeURIComponent(channel)}`, {
    'last-event-id': encodeCursor([channel], [since]),
  });
  const subscribed = (await reader.waitFor((e) => e.frame.type === 'subscribed')).frame;
  return { reader, subscribed };
}
