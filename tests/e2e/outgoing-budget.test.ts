// Finding 2 of the second hardening pass: one budget for the bytes queued on all connections together
// (`limits.maxTotalOutgoingBytes`). Clients that never read cannot take the hub past it: the largest queues
// are shed as slow consumers, new connections are refused while it is nearly spent, and a reading canary loses
// nothing.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { untilAsync } from '@switchboard/test-helpers/wait';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { metric } from '../helpers/metrics.ts';
import { SlowReader } from '../helpers/slow-reader.ts';
import { tryUpgrade } from '../helpers/upgrade.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const MB = 1024 * 1024;
/**
 * Stuck readers in the first test. The attack had 300; on loopback each socket's kernel buffers absorb about
 * 4 MB before anything queues in the hub, so 300 would push 1.2 GB through the kernel of a shared test machine.
 * 30 hold far more than the budget all the same.
 */
const READERS = 30;
/** How far past the budget the total may go before a write is counted and sheds: one coalesced write. */
const ONE_WRITE = 80 * 1024;

describe('the hub-wide outgoing budget', () => {
  const hubs: TestHub[] = [];
  const readers: SlowReader[] = [];
  after(async () => {
    for (const r of readers) r.close();
    for (const h of hubs) await h.shutdown();
  });

  it('holds with stuck readers: the largest queues are shed, the total stays under the budget, a canary gets all', async () => {
    const BUDGET = 8 * MB;
    const hub = await startTestHub({
      limits: { maxOutgoingBytes: 2 * MB, maxTotalOutgoingBytes: BUDGET },
      server: { maxConnections: 1_000 },
    });
    hubs.push(hub);
    const canary = await WsTestClient.connect(hub.wsUrl);
    await canary.request({ type: 'subscribe', channel: 'stuck' });
    const stuck: SlowReader[] = [];
    for (let i = 0; i < READERS; i++) {
      const r = await SlowReader.websocket(hub.url, [{ type: 'subscribe', channel: 'stuck', id: 1 }]);
      r.pause();
      stuck.push(r);
    }
    readers.push(...stuck);
    try {
      const payload = 'x'.repeat(32 * 1024);
      const published = 200;
      let highest = 0;
      for (let i = 0; i < published; i++) {
        await hub.publish('stuck', { i, payload });
        const queued = await metric(hub.url, 'switchboard_outgoing_bytes');
        highest = Math.max(highest, queued);
        assert.ok(queued <= BUDGET + ONE_WRITE, `${queued} bytes queued after publication ${i}`);
      }
      // Each reader is sent 6.4 MB: about 4 MB fits in the loopback socket's kernel buffers, the rest queues in the
      // hub. Without a hub-wide budget the readers would hold up to 2 x 2 MB each, 60 MB in all.
      assert.ok(highest > BUDGET / 2, `the flood never filled the budget (${highest})`);
      const shed = await metric(hub.url, 'switchboard_disconnects_total', { reason: 'slow_consumer' });
      assert.ok(shed > 0, 'nobody was shed');
      const got = await canary.waitMessages(published, 'stuck', 15_000);
      assert.deepEqual(
        got.map((m) => m.data.i),
        Array.from({ length: published }, (_, i) => i),
      );
    } finally {
      for (const r of stuck) r.close();
    }
    // Once every stuck reader is gone, the queues are empty again.
    await untilAsync(
      async () => (await metric(hub.url, 'switchboard_outgoing_bytes')) < ONE_WRITE,
      () => 'queued bytes stayed after every stuck reader left',
      10_000,
    );
    await canary.close();
  });

  it('refuses new connections (503 too_many_connections) while the budget is nearly spent', async () => {
    const BUDGET = 2 * MB;
    // Each connection may hold more than the whole budget: only the hub-wide budget acts here.
    const hub = await startTestHub({ limits: { maxOutgoingBytes: 8 * MB, maxTotalOutgoingBytes: BUDGET } });
    hubs.push(hub);
    const reader = await SlowReader.websocket(hub.url, [{ type: 'subscribe', channel: 'fill', id: 1 }]);
    reader.pause();
    readers.push(reader);
    const payload = 'y'.repeat(16 * 1024);
    // Steps of 16 KB land in the last tenth (1.8 to 2 MB) before they can pass the budget.
    let queued = 0;
    for (let i = 0; i < 5_000 && queued <= 0.9 * BUDGET; i++) {
      await hub.publish('fill', payload);
      queued = await metric(hub.url, 'switchboard_outgoing_bytes');
    }
    assert.ok(queued > 0.9 * BUDGET && queued <= BUDGET, `${queued} queued`);
    const ws = await tryUpgrade(hub.wsUrl);
    assert.equal(ws.status, 503);
    assert.equal(JSON.parse(ws.body).error.code, 'too_many_connections');
    const sse = await fetch(`${hub.url}/sse?channel=fill`);
    assert.equal(sse.status, 503);
    await sse.body?.cancel();
    // The stuck reader leaves: its queue is freed and connections are welcome again.
    reader.close();
    await untilAsync(
      async () => (await tryUpgrade(hub.wsUrl)).status === 101,
      () => 'still refused after the queue was freed',
      10_000,
    );
  });
});
