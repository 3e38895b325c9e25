// The operators' side over real sockets: /admin/api/* behind an admin key, /metrics protected by an admin key or the
// metrics token and served unauthenticated on metrics.port, and the metrics the console reads (publish-to-write
// latency, bytes and frames written per transport, API request duration).
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MemoryCluster } from '../../packages/server/src/engine/memory/cluster.ts';
import { createMemoryEngine } from '../../packages/server/src/engine/memory/index.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { metric } from '../helpers/metrics.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const ADMIN_KEY = 'admin-key-0123456789abcdef';
const METRICS_TOKEN = 'metrics-token-0123456789';

/** A port that was free a moment ago (for metrics.port, which takes a fixed number). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the admin API and protected metrics', () => {
  let hub: TestHub;
  let metricsPort: number;

  const admin = async (path: string, body?: unknown, key: string | null = ADMIN_KEY) => {
    const res = await fetch(`${hub.url}/admin/api/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const scrape = (url: string, key?: string) =>
    fetch(`${url}/metrics`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });

  before(async () => {
    metricsPort = await freePort();
    hub = await startTestHub({
      admin: { keys: [ADMIN_KEY] },
      metrics: { token: METRICS_TOKEN, port: metricsPort, host: '127.0.0.1' },
      channel: { history: { size: 10 }, presence: true },
    });
  });
  after(() => hub.shutdown());

  it('refuses /admin/api/* without an admin key, with an API key, and with the metrics token', async () => {
    assert.equal((await admin('overview', undefined, null)).status, 401);
    assert.equal((await admin('overview', undefined, 'test-key-0123456789')).status, 401);
    const metricsOnly = await admin('overview', undefined, METRICS_TOKEN);
    assert.equal(metricsOnly.status, 403);
    assert.equal(metricsOnly.body.error.code, 'forbidden');
    assert.equal((await admin('nope')).status, 404);
    assert.equal((await admin('overview', {})).status, 405);
  });

  it('serves /metrics on the hub port only with an admin key or the metrics token', async () => {
    const refused = await scrape(hub.url);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await scrape(hub.url, 'wrong-token-0123456789')).status, 401);
    assert.equal((await scrape(hub.url, METRICS_TOKEN)).status, 200);
    assert.equal((await scrape(hub.url, ADMIN_KEY)).status, 200);
  });

  it('serves /metrics without a key on metrics.port, and nothing else there', async () => {
    assert.equal(hub.metricsUrl, `http://127.0.0.1:${metricsPort}`);
    const res = await scrape(hub.metricsUrl!);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /# TYPE switchboard_publish_to_write_seconds histogram/);
    assert.equal((await fetch(`${hub.metricsUrl}/admin/api/overview`)).status, 404);
    assert.equal((await fetch(`${hub.metricsUrl}/metrics`, { method: 'POST' })).status, 405);
  });

  it('lists connections by transport and user, one connection, channels, and one channel', async () => {
    const ws = await WsTestClient.connect(hub.wsUrl);
    await ws.request({ type: 'subscribe', channel: 'ops:one', id: 1 });
    const sse = await SseTestClient.open(`${hub.url}/sse?channel=ops:one&channel=ops:two`);
    await sse.waitFor((e) => e.event === 'subscribed' && e.frame.channel === 'ops:two');
    await hub.publish('ops:one', { n: 1 });
    await hub.publish('ops:one', { n: 2 });
    await ws.waitMessages(2);

    const overview = await admin('overview');
    assert.equal(overview.status, 200);
    assert.equal(overview.body.node.engine, 'memory');
    assert.equal(overview.body.nodes.length, 1);
    assert.deepEqual(overview.body.node.byTransport, { ws: 1, sse: 1, pusher: 0 });

    const conns = await admin('connections?transport=ws');
    assert.equal(conns.body.matching, 1);
    assert.equal(conns.body.connections[0].transport, 'ws');
    const client = conns.body.connections[0].client as string;
    assert.equal((await admin('connections?channel=ops:two')).body.connections[0].transport, 'sse');
    assert.equal((await admin('connections?user=nobody')).body.matching, 0);
    assert.equal((await admin('connections?transport=carrier-pigeon')).status, 400);
    assert.equal((await admin('connections?limit=0')).status, 400);

    const one = await admin(`connection?client=${client}`);
    assert.deepEqual(one.body.subscriptions, ['ops:one']);
    assert.equal((await admin('connection?client=missing')).status, 404);

    const channels = await admin('channels?search=ops:');
    assert.deepEqual(
      channels.body.channels.map((c: any) => [c.channel, c.subscribers]),
      [
        ['ops:one', 2],
        ['ops:two', 1],
      ],
    );
    const opsOne = channels.body.channels[0];
    assert.equal(opsOne.published, 2);
    assert.equal(opsOne.delivered, 4);
    assert.deepEqual(opsOne.last, { epoch: opsOne.last.epoch, offset: 2 });

    const channel = await admin('channel?channel=ops:one');
    assert.deepEqual(
      channel.body.history.map((p: any) => p.data),
      [{ n: 1 }, { n: 2 }],
    );
    assert.equal(channel.body.presence.length, 2);
    assert.equal(channel.body.clients.length, 2);
    assert.equal((await admin('channel?channel=bad channel')).status, 400);
    await ws.close();
    await sse.close();
  });

  it('publishes, and disconnects a client and a user, with coded refusals for bad input', async () => {
    const ws = await WsTestClient.connect(hub.wsUrl);
    await ws.request({ type: 'subscribe', channel: 'ops:pub', id: 1 });
    const published = await admin('publish', { channel: 'ops:pub', data: { from: 'admin' } });
    assert.equal(published.status, 200);
    assert.deepEqual((await ws.waitMessages(1))[0]!.data, { from: 'admin' });
    assert.equal((await admin('publish', { channel: 'ops:pub' })).status, 400);
    assert.equal((await admin('publish', '{not json')).status, 400);
    assert.equal((await admin('disconnect', {})).status, 400);
    assert.equal((await admin('disconnect', { client: 'missing' })).status, 404);

    const connected = ws.frames.find((f) => f.type === 'connected')!;
    const done = await admin('disconnect', { client: connected.client });
    assert.deepEqual(done.body, { disconnected: 1 });
    await ws.closed();
    // Not to reconnect unless asked (`reconnect: true`): 4503 `disconnected`.
    assert.equal(ws.closeCode, 4503);
    assert.equal(await metric(hub.metricsUrl!, 'switchboard_publications_total', { source: 'admin' }), 1);

    // A user's every connection: two SSE streams opened with tickets for user alice.
    const streams = await Promise.all(
      [1, 2].map(async () => {
        const { body } = await hub.api('tickets', { user: 'alice' });
        return SseTestClient.open(`${hub.url}/sse?channel=ops:alice&ticket=${body.ticket}`);
      }),
    );
    assert.deepEqual((await admin('connections?user=alic')).body.byUser, [{ user: 'alice', connections: 2 }]);
    assert.deepEqual((await admin('disconnect', { user: 'alice', reconnect: true })).body, {
      disconnected: 2,
    });
    for (const s of streams) {
      await s.ended();
      assert.equal(s.frames('disconnect')[0]!.reason, 'reconnect_requested');
    }
  });

  it('gives a single-use SSE ticket that follows one channel live', async () => {
    const { body } = await admin('stream', { channel: 'ops:live' });
    assert.match(body.url, /^\/sse\?channel=ops%3Alive&ticket=/);
    const stream = await SseTestClient.open(`${hub.url}${body.url}`);
    await stream.waitFor((e) => e.event === 'subscribed');
    await hub.publish('ops:live', { live: true });
    assert.deepEqual((await stream.waitMessages(1))[0]!.data, { live: true });
    await stream.close();
    // Used once: the same URL is refused.
    const again = await fetch(`${hub.url}${body.url}`);
    assert.equal(again.status, 401);
    await again.body?.cancel();
  });

  it('measures publish-to-write latency, bytes and frames per transport, and API request duration', async () => {
    const base = hub.metricsUrl!;
    const before = {
      wsBytes: await metric(base, 'switchboard_bytes_written_total', { transport: 'ws' }),
      sseFrames: await metric(base, 'switchboard_frames_written_total', { transport: 'sse' }),
      wsLatency: await metric(base, 'switchboard_publish_to_write_seconds_count', { transport: 'ws' }),
      sseLatency: await metric(base, 'switchboard_publish_to_write_seconds_count', { transport: 'sse' }),
    };
    const ws = await WsTestClient.connect(hub.wsUrl);
    await ws.request({ type: 'subscribe', channel: 'ops:m', id: 1 });
    const sse = await SseTestClient.open(`${hub.url}/sse?channel=ops:m`);
    await sse.waitFor((e) => e.event === 'subscribed');
    for (let i = 0; i < 5; i++) await hub.publish('ops:m', { i });
    await ws.waitMessages(5);
    await sse.waitMessages(5);
    assert.equal(
      (await metric(base, 'switchboard_publish_to_write_seconds_count', { transport: 'ws' })) -
        before.wsLatency,
      5,
    );
    assert.equal(
      (await metric(base, 'switchboard_publish_to_write_seconds_count', { transport: 'sse' })) -
        before.sseLatency,
      5,
    );
    // Five message frames at least (plus connected and subscribed), each well over 40 bytes.
    assert.ok(
      (await metric(base, 'switchboard_bytes_written_total', { transport: 'ws' })) - before.wsBytes > 5 * 40,
    );
    assert.ok(
      (await metric(base, 'switchboard_frames_written_total', { transport: 'sse' })) - before.sseFrames >= 7,
    );
    assert.ok(
      (await metric(base, 'switchboard_api_request_duration_seconds_count', {
        route: '/api/publish',
        status: '200',
      })) >= 5,
    );
    await ws.close();
    await sse.close();
  });
});

describe('the nodes of a cluster, through the engine', () => {
  const cluster = new MemoryCluster();
  let a: TestHub;
  let b: TestHub;
  const overview = async (hub: TestHub) =>
    (await (
      await fetch(`${hub.url}/admin/api/overview`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    ).json()) as any;

  before(async () => {
    a = await startTestHub({ admin: { keys: [ADMIN_KEY] } }, createMemoryEngine({ cluster }));
    b = await startTestHub({ admin: { keys: [ADMIN_KEY] } }, createMemoryEngine({ cluster }));
  });
  after(async () => {
    await a.shutdown();
    await b.shutdown();
  });

  it('lists every node, each with its own counts, and forgets one that stopped', async () => {
    const ws = await WsTestClient.connect(b.wsUrl);
    const fromA = await overview(a);
    assert.equal(fromA.nodes.length, 2);
    assert.equal(fromA.nodes[0].id, fromA.node.id, 'this node first');
    const other = fromA.nodes[1];
    assert.equal(other.id, (await overview(b)).node.id);
    assert.equal(other.engine, 'memory');
    // Its counts as of its last announcement (every 10 s, and at start): announced before the client came.
    assert.equal(typeof other.announcedAt, 'number');
    await ws.close();
    await b.shutdown();
    assert.deepEqual(
      (await overview(a)).nodes.map((n: any) => n.id),
      [fromA.node.id],
    );
    // The roster is not a channel any client can name.
    const client = await WsTestClient.connect(a.wsUrl);
    const refused = await client.request({ type: 'presence', channel: '$switchboard:nodes' });
    assert.equal(refused.type, 'error');
    await client.close();
  });
});

describe('without admin keys', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub();
  });
  after(() => hub.shutdown());

  it('has no console and no admin API, and /metrics stays open', async () => {
    assert.equal((await fetch(`${hub.url}/admin`)).status, 404);
    assert.equal((await fetch(`${hub.url}/admin/api/overview`)).status, 404);
    assert.equal((await fetch(`${hub.url}/metrics`)).status, 200);
    assert.equal(hub.metricsUrl, null);
  });
});
