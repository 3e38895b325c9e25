import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createMemoryEngine,
  MemoryCluster,
  type MemoryEngine,
} from '../../packages/server/src/engine/memory/index.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

/**
 * Two hub nodes in one process over one in-memory backend: the same code paths a Redis or NATS cluster takes,
 * with failures injected by the backend instead of a network.
 */
describe('several nodes over one engine backend', () => {
  const cluster = new MemoryCluster();
  let engineB: MemoryEngine;
  let a: TestHub;
  let b: TestHub;
  before(async () => {
    engineB = createMemoryEngine({ cluster });
    a = await startTestHub({}, createMemoryEngine({ cluster }));
    b = await startTestHub({}, engineB);
  });
  after(async () => {
    await a.shutdown();
    await b.shutdown();
  });

  it('delivers a publication made on one node to subscribers of another, with the same position', async () => {
    const onA = await WsTestClient.connect(a.wsUrl);
    const onB = await SseTestClient.open(`${b.url}/sse?channel=n:x`);
    await onA.request({ type: 'subscribe', channel: 'n:x' });
    await onB.waitFor((e) => e.event === 'subscribed');
    const p = await b.publish('n:x', 'hello');
    const [fromA] = await onA.waitMessages(1);
    const [fromB] = await onB.waitMessages(1);
    assert.deepEqual(fromA, fromB);
    assert.equal(fromA!.offset, p.offset);
    await onA.close();
    await onB.close();
  });

  it('fills a gap from history when a node misses deliveries, so its subscribers lose nothing', async () => {
    const ws = await WsTestClient.connect(b.wsUrl);
    await ws.request({ type: 'subscribe', channel: 'n:gap' });
    const sse = await SseTestClient.open(`${b.url}/sse?channel=n:gap`);
    await sse.waitFor((e) => e.event === 'subscribed');
    await a.publish('n:gap', 1);
    await ws.waitMessages(1);
    cluster.dropNext(engineB.member, 3); // node B's broker connection "breaks" for three publications
    for (let i = 2; i <= 6; i++) await a.publish('n:gap', i);
    const expected = [1, 2, 3, 4, 5, 6];
    assert.deepEqual(
      (await ws.waitMessages(6)).map((m) => m.data),
      expected,
    );
    assert.deepEqual(
      (await sse.waitMessages(6)).map((m) => m.data),
      expected,
    );
    assert.deepEqual(
      ws.messages().map((m) => m.offset),
      expected,
    );
    await ws.close();
    await sse.close();
  });

  it('answers publishes with 503 unavailable while the backend is down, keeps clients connected, and recovers', async () => {
    const ws = await WsTestClient.connect(b.wsUrl);
    await ws.request({ type: 'subscribe', channel: 'n:down' });
    cluster.setAvailable(false);
    try {
      const r = await a.api('publish', { channel: 'n:down', data: 1 });
      assert.equal(r.status, 503);
      assert.equal(r.body.error.code, 'unavailable');
      const ready = await fetch(`${a.url}/readyz`);
      assert.equal(ready.status, 503);
      const sub = await ws.request({ type: 'subscribe', channel: 'n:other' });
      assert.equal(sub.code, 'unavailable');
    } finally {
      cluster.setAvailable(true);
    }
    await a.publish('n:down', 2);
    const [m] = await ws.waitMessages(1);
    assert.equal(m!.data, 2);
    assert.equal(ws.ws.readyState, ws.ws.OPEN);
    await ws.close();
  });
});
