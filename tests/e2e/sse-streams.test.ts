// Multi-channel SSE streams at their edges: a cursor for another channel set or with the wrong number of
// positions (in `Last-Event-ID`, which must not refuse the stream, and in `since`, which must), which of the
// two wins when both are sent, and a stream one of whose channels is refused or fails to subscribe.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeCursor, normalizeChannels, type Position } from '@switchboard/protocol';
import { until } from '@switchboard/test-helpers/wait';
import { createMemoryEngine, type MemoryEngine } from '../../packages/server/src/engine/memory/index.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { metric } from '../helpers/metrics.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

async function subscribedAll(c: SseTestClient, n: number): Promise<Record<string, any>[]> {
  await until(
    () => c.frames('subscribed').length >= n,
    () => `${n} subscribed events; the stream so far: ${c.raw}`,
  );
  return c.frames('subscribed');
}

/** `a` and `b` published to `count` times each, data `a1`, `b1`…; returns each round's positions. */
async function publishBoth(hub: TestHub, a: string, b: string, count: number): Promise<Position[][]> {
  const rounds: Position[][] = [];
  for (let i = 1; i <= count; i++)
    rounds.push([await hub.publish(a, `a${i}`), await hub.publish(b, `b${i}`)]);
  return rounds;
}

/** A cursor for the stream of `channels` at `positions` (given in the order of `channels`). */
function cursorOf(channels: string[], positions: Position[]): string {
  const order = normalizeChannels(channels);
  return encodeCursor(
    order,
    order.map((c) => positions[channels.indexOf(c)]!),
  );
}

/** A publication to `channel` is delivered once, to a watcher opened now: nobody else holds the channel. */
async function onlyWatcherGets(hub: TestHub, channel: string): Promise<void> {
  const watcher = await SseTestClient.open(`${hub.url}/sse?channel=${channel}`);
  await subscribedAll(watcher, 1);
  const before = await metric(hub.url, 'switchboard_deliveries_total');
  await hub.publish(channel, 'probe');
  await watcher.waitMessages(1);
  assert.equal(
    (await metric(hub.url, 'switchboard_deliveries_total')) - before,
    1,
    `a publication to ${channel} reached someone besides the watcher`,
  );
  await watcher.close();
}

describe('multi-channel SSE streams', () => {
  let hub: TestHub;
  let engine: MemoryEngine;
  before(async () => {
    engine = createMemoryEngine();
    hub = await startTestHub({ namespaces: { cap: { maxSubscribers: 1 } } }, engine);
  });
  after(() => hub.shutdown());

  it('a Last-Event-ID for another channel set or with the wrong number of positions: an error event, recovered: false on every channel, then live', async () => {
    const [pa, pb] = (await publishBoth(hub, 'm1:a', 'm1:b', 2))[1]!;
    const otherSet = cursorOf(['m1:a', 'm1:c'], [pa!, pb!]);
    const valid = cursorOf(['m1:a', 'm1:b'], [pa!, pb!]);
    const oneShort = valid.slice(0, valid.lastIndexOf('.'));
    for (const [cursor, reason] of [
      [otherSet, /another channel set/],
      [oneShort, /wrong number of positions/],
    ] as const) {
      const c = await SseTestClient.open(`${hub.url}/sse?channel=m1:a&channel=m1:b`, {
        'last-event-id': cursor,
      });
      assert.equal(c.response.statusCode, 200);
      const err = await c.waitFor((e) => e.event === 'error');
      assert.equal(err.frame.code, 'bad_cursor');
      assert.match(err.frame.message, reason);
      const subs = await subscribedAll(c, 2);
      assert.deepEqual(
        subs.map((s) => s.recovered),
        [false, false],
      );
      await hub.publish('m1:b', 'live');
      const [m] = await c.waitMessages(1);
      assert.equal(m!.data, 'live');
      assert.equal(c.messages().length, 1, 'nothing replayed from a cursor that was refused');
      await c.close();
    }
  });

  it('the same cursors in since refuse the stream with 400 bad_cursor', async () => {
    const [pa, pb] = (await publishBoth(hub, 'm2:a', 'm2:b', 1))[0]!;
    const valid = cursorOf(['m2:a', 'm2:b'], [pa!, pb!]);
    for (const [cursor, reason] of [
      [cursorOf(['m2:a', 'm2:c'], [pa!, pb!]), /another channel set/],
      [valid.slice(0, valid.lastIndexOf('.')), /wrong number of positions/],
      [`${valid}.${pa!.epoch}-1`, /wrong number of positions/],
    ] as const) {
      const r = await fetch(`${hub.url}/sse?channel=m2:a&channel=m2:b&since=${encodeURIComponent(cursor)}`);
      assert.equal(r.status, 400);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'bad_cursor');
      assert.match(body.error.message, reason);
    }
  });

  it('Last-Event-ID wins over since: the stream resumes from it, even when since is malformed', async () => {
    const channels = ['m3:a', 'm3:b'];
    const [[a1, b1], [a2, b2]] = (await publishBoth(hub, 'm3:a', 'm3:b', 3)) as [Position[], Position[]];
    const url = `${hub.url}/sse?channel=m3:a&channel=m3:b`;
    const lei = cursorOf(channels, [a2!, b2!]);
    for (const since of [cursorOf(channels, [a1!, b1!]), 'garbage']) {
      const c = await SseTestClient.open(`${url}&since=${encodeURIComponent(since)}`, {
        'last-event-id': lei,
      });
      assert.equal(c.response.statusCode, 200, `since=${since}`);
      const subs = await subscribedAll(c, 2);
      assert.deepEqual(
        subs.map((s) => s.recovered),
        [true, true],
      );
      const got = await c.waitMessages(2);
      assert.deepEqual(
        got.map((m) => m.data).sort(),
        ['a3', 'b3'],
        `resumed from Last-Event-ID, not since=${since}`,
      );
      assert.equal(c.frames('error').length, 0);
      await c.close();
    }
  });

  it('a bad Last-Event-ID is not replaced by a good since: recovered: false, nothing replayed', async () => {
    const channels = ['m4:a', 'm4:b'];
    const [a1, b1] = (await publishBoth(hub, 'm4:a', 'm4:b', 2))[0]!;
    const since = cursorOf(channels, [a1!, b1!]);
    const c = await SseTestClient.open(
      `${hub.url}/sse?channel=m4:a&channel=m4:b&since=${encodeURIComponent(since)}`,
      {
        'last-event-id': 'forged',
      },
    );
    assert.equal((await c.waitFor((e) => e.event === 'error')).frame.code, 'bad_cursor');
    const subs = await subscribedAll(c, 2);
    assert.deepEqual(
      subs.map((s) => s.recovered),
      [false, false],
    );
    await hub.publish('m4:a', 'live');
    await c.waitMessages(1);
    assert.deepEqual(
      c.messages().map((m) => m.data),
      ['live'],
    );
    await c.close();
  });

  it('one channel of several refused (full): the whole stream is refused before it starts, the others left unsubscribed', async () => {
    const holder = await WsTestClient.connect(hub.wsUrl);
    assert.equal((await holder.request({ type: 'subscribe', channel: 'cap:1' })).type, 'subscribed');
    const before = hub.node.connectionCount;
    const refused = await SseTestClient.open(`${hub.url}/sse?channel=m5:free&channel=cap:1`);
    assert.equal(refused.response.statusCode, 503);
    await refused.ended();
    assert.match(refused.raw, /"code":"channel_full"/);
    assert.equal(hub.node.connectionCount, before);
    // The free channel was never subscribed: a publication to it reaches the watcher alone.
    await onlyWatcherGets(hub, 'm5:free');
    await holder.close();
  });

  it('one channel of several failing in the engine: an error for it, then the stream ends with a reconnect code', async () => {
    engine.cluster.setChannelAvailable('m6:broken', false);
    try {
      const c = await SseTestClient.open(`${hub.url}/sse?channel=m6:ok&channel=m6:broken`);
      assert.equal(c.response.statusCode, 200);
      const err = await c.waitFor((e) => e.event === 'error');
      assert.equal(err.frame.channel, 'm6:broken');
      assert.equal(err.frame.code, 'unavailable');
      // The failure is answered as soon as the engine refuses: 5 s is only for a loaded machine.
      const ended = await Promise.race([
        c.ended().then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 5_000).unref()),
      ]);
      assert.ok(ended, `the stream went on after its channel failed: ${c.raw}`);
      assert.deepEqual(c.frames('disconnect'), [
        { type: 'disconnect', code: 4003, reason: 'server_error', reconnect: true },
      ]);
      assert.ok(c.retry !== undefined && c.retry > 0, 'a retry hint before the end');
      await onlyWatcherGets(hub, 'm6:ok');
    } finally {
      engine.cluster.setChannelAvailable('m6:broken', true);
    }
    // Once the channel is back, the same stream subscribes both.
    const again = await SseTestClient.open(`${hub.url}/sse?channel=m6:ok&channel=m6:broken`);
    await subscribedAll(again, 2);
    await again.close();
  });
});
