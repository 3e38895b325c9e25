// Signed webhooks to a real receiver (an HTTP server on port 0): every event kind, each request signed over
// `<t>.<body>`, redelivered with the same id after a 500, and a bounded queue whose overflow is counted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until, untilAsync } from '@switchboard/test-helpers/wait';
import { verifyWebhookSignature } from '../../packages/server/src/webhooks/signature.ts';
import { TestBackend } from '../helpers/backend.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { metric } from '../helpers/metrics.ts';
import { schemaPointer, validatorAt } from '../helpers/openapi.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const SECRET = 'w'.repeat(40);

/** Every event the receiver got, from requests whose signature verified, once per request id. */
function events(backend: TestBackend): Record<string, any>[] {
  const seen = new Set<string>();
  const out: Record<string, any>[] = [];
  for (const c of backend.calls) {
    if (seen.has(c.body.id)) continue;
    seen.add(c.body.id);
    out.push(...c.body.events);
  }
  return out;
}

describe('webhooks', () => {
  let backend: TestBackend;
  let hub: TestHub;
  let failNext = 0;

  before(async () => {
    backend = await TestBackend.start();
    backend.on('/hooks', () => (failNext-- > 0 ? { status: 500, body: {} } : { body: {} }));
    hub = await startTestHub({
      webhooks: { url: `${backend.url}/hooks`, secret: SECRET },
      channel: { presence: true, clientPublish: true },
    });
  });
  after(async () => {
    await hub?.shutdown();
    await backend?.close();
  });

  it('sends each event kind, batched as {id, time_ms, events} and signed over <t>.<body>', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const client = c.frames[0]!.client as string;
    await c.request({ type: 'subscribe', channel: 'room' });
    await c.request({ type: 'publish', channel: 'room', data: { hi: 1 } });
    await c.close();
    const all = await until(
      () => events(backend).length >= 6 && events(backend),
      () => `got ${JSON.stringify(events(backend))}`,
    );
    // Occupancy changes go through the occupancy store, so the vacated event may come before or after the close.
    const byName = (a: Record<string, any>, b: Record<string, any>) => a.name.localeCompare(b.name);
    assert.deepEqual(all.slice(0, 4), [
      { name: 'channel_occupied', channel: 'room' },
      { name: 'member_added', channel: 'room', client, user: null },
      { name: 'client_event', channel: 'room', client, user: null, data: { hi: 1 } },
      { name: 'member_removed', channel: 'room', client, user: null },
    ]);
    assert.deepEqual(all.slice(4).sort(byName), [
      { name: 'channel_vacated', channel: 'room' },
      { name: 'connection_closed', client, user: null, reason: 'closed' },
    ]);
    const payload = validatorAt(schemaPointer('WebhookPayload'));
    for (const call of backend.calls) {
      assert.equal(
        payload(call.body),
        true,
        `the OpenAPI document's WebhookPayload: ${JSON.stringify(payload.errors)}`,
      );
      assert.equal(typeof call.body.id, 'string');
      assert.equal(typeof call.body.time_ms, 'number');
      const header = String(call.headers['switchboard-signature']);
      assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
      const raw = JSON.stringify(call.body);
      const now = Math.floor(Date.now() / 1000);
      assert.equal(verifyWebhookSignature(SECRET, raw, header, now), true, 'signed with the secret');
      assert.equal(verifyWebhookSignature('x'.repeat(40), raw, header, now), false, 'not with another');
      assert.equal(verifyWebhookSignature(SECRET, raw, header, now + 600), false, 'a stale t is refused');
    }
  });

  it('a request answered 500 is sent again with the same id, so the receiver can de-duplicate', async () => {
    const before = backend.calls.length;
    failNext = 1;
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.close();
    const [first, second] = await until(
      () => backend.calls.length >= before + 2 && backend.calls.slice(before),
      () => `got ${backend.calls.length - before} requests`,
      10_000,
    );
    assert.equal(first!.body.id, second!.body.id);
    assert.deepEqual(first!.body.events, second!.body.events);
    assert.equal(await metric(hub.url, 'switchboard_webhook_requests_total', { outcome: 'failed' }), 1);
  });
});

describe('webhooks: a bounded queue', () => {
  let backend: TestBackend;
  let hub: TestHub;

  before(async () => {
    backend = await TestBackend.start();
    backend.on('/hooks', () => 'hang');
    hub = await startTestHub({
      webhooks: { url: `${backend.url}/hooks`, secret: SECRET, maxQueue: 3, batchSize: 1, timeoutMs: 60_000 },
      channel: { presence: false },
    });
  });
  after(async () => {
    await hub?.shutdown();
    await backend?.close();
  });

  it('past webhooks.maxQueue the oldest events are dropped and counted', async () => {
    // Four requests hang in flight; three more events wait; the rest overflow.
    for (let i = 0; i < 10; i++) {
      const c = await WsTestClient.connect(hub.wsUrl);
      await c.request({ type: 'subscribe', channel: `c${i}` });
      await c.close();
    }
    const dropped = await untilAsync(
      async () => {
        const n = await metric(hub.url, 'switchboard_webhook_events_total', { outcome: 'dropped_overflow' });
        return n > 0 && n;
      },
      () => 'no overflow counted',
    );
    assert.ok(dropped >= 10, `dropped ${dropped}`);
    assert.equal(await metric(hub.url, 'switchboard_webhook_queue'), 3);
  });
});
