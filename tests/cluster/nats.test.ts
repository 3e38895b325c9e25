import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createNatsEngine, NATS_DEFAULTS } from '@switchboard/engine-nats';
import { awaitArrivals } from '@switchboard/test-helpers/arrivals';
import { NatsServer } from '@switchboard/test-helpers/nats-server';
import {
  catchUpMs,
  deliveryMs,
  type NatsTiming,
  noticeMs,
  reconnectMs,
} from '@switchboard/test-helpers/nats-timing';
import { until, untilAsync } from '@switchboard/test-helpers/wait';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const BIN = fileURLToPath(new URL('../../packages/server/bin/switchboard.js', import.meta.url));

type Message = Record<string, any>;
const position = (m: Message) => [m.epoch, m.offset, m.data];

/** The engines' settings (in their URLs below): A reconnects quickly, B and C slowly. */
const FAST: NatsTiming = { ...NATS_DEFAULTS, timeoutMs: 1_000, reconnectWaitMs: 100 };
const SLOW: NatsTiming = { ...FAST, reconnectWaitMs: 1_500 };

/** Waits until `client` has every one of `expected` on `channel` (epoch, offset, data); says what it saw if not. */
async function arrivals(
  who: string,
  client: { messages(channel?: string): Message[] },
  channel: string,
  expected: readonly Message[],
  limitMs: number,
): Promise<Message[]> {
  await awaitArrivals({
    who,
    expected: expected.map((m) => ({ epoch: m.epoch, offset: m.offset, data: m.data })),
    received: () => client.messages(channel).map((m) => ({ epoch: m.epoch, offset: m.offset, data: m.data })),
    limitMs,
  });
  return client.messages(channel);
}

/** Offsets strictly ascending: nothing delivered twice, nothing out of order. */
function assertAscending(messages: Message[], who: string): void {
  for (let i = 1; i < messages.length; i++)
    assert.ok(messages[i]!.offset > messages[i - 1]!.offset, `${who}: ${messages.map((m) => m.offset)}`);
}

/**
 * Three hub nodes in this process, each with its own NATS engine (its own connection), on one real
 * `nats-server -js` of the test's own: the network path a real deployment takes between nodes.
 */
describe('three hub nodes on one NATS', () => {
  let nats: NatsServer;
  let a: TestHub;
  let b: TestHub;
  let c: TestHub;

  before(async () => {
    nats = await NatsServer.start();
    // A reconnects quickly, B and C slowly: after a broker restart A publishes while B and C are still away,
    // so what they must end with reaches them only through their catch-up from history.
    const engine = (t: NatsTiming) =>
      createNatsEngine(
        `${nats.url}?prefix=cluster&timeout=${t.timeoutMs}ms&reconnectWait=${t.reconnectWaitMs}ms`,
      );
    a = await startTestHub({}, await engine(FAST));
    b = await startTestHub({}, await engine(SLOW));
    c = await startTestHub({}, await engine(SLOW));
  });
  after(async () => {
    await Promise.all([a?.shutdown(), b?.shutdown(), c?.shutdown()]);
    await nats?.destroy();
  });

  it('delivers what A publishes to WebSocket and SSE subscribers on B and C, with identical positions', async () => {
    const channel = 'cl:fanout';
    const wsB = await WsTestClient.connect(b.wsUrl);
    const wsC = await WsTestClient.connect(c.wsUrl);
    await wsB.request({ type: 'subscribe', channel });
    await wsC.request({ type: 'subscribe', channel });
    const sseB = await SseTestClient.open(`${b.url}/sse?channel=${channel}`);
    const sseC = await SseTestClient.open(`${c.url}/sse?channel=${channel}`);
    await sseB.waitFor((e) => e.event === 'subscribed');
    await sseC.waitFor((e) => e.event === 'subscribed');

    const acked: Message[] = [];
    for (let i = 1; i <= 20; i++) acked.push({ ...(await a.publish(channel, { n: i })), data: { n: i } });
    const expected = acked.map(position);
    for (const [who, client] of [
      ['ws B', wsB],
      ['ws C', wsC],
      ['sse B', sseB],
      ['sse C', sseC],
    ] as const) {
      const got = await arrivals(who, client, channel, acked, deliveryMs(SLOW));
      assert.deepEqual(got.map(position), expected, who);
    }
    assert.deepEqual(
      acked.map((p) => p.offset),
      Array.from({ length: 20 }, (_, i) => acked[0]!.offset + i),
    );
    await Promise.all([wsB.close(), wsC.close(), sseB.close(), sseC.close()]);
  });

  it('resumes a subscriber that moves from B to C with nothing lost and nothing twice', async () => {
    const channel = 'cl:move';
    const ws = await WsTestClient.connect(b.wsUrl);
    await ws.request({ type: 'subscribe', channel });
    const sse = await SseTestClient.open(`${b.url}/sse?channel=${channel}`);
    await sse.waitFor((e) => e.event === 'subscribed');
    const acked: Message[] = [];
    for (let i = 1; i <= 5; i++) acked.push({ ...(await a.publish(channel, i)), data: i });
    const seen = await arrivals('ws on B', ws, channel, acked, deliveryMs(SLOW));
    await arrivals('sse on B', sse, channel, acked, deliveryMs(SLOW));
    const last = seen.at(-1)!;
    const cursor = sse.lastEventId;
    await ws.close();
    await sse.close();

    for (let i = 6; i <= 9; i++) acked.push({ ...(await a.publish(channel, i)), data: i }); // between nodes

    const ws2 = await WsTestClient.connect(c.wsUrl);
    const sub = await ws2.request({
      type: 'subscribe',
      channel,
      since: { epoch: last.epoch, offset: last.offset },
    });
    assert.equal(sub.recovered, true);
    const sse2 = await SseTestClient.open(`${c.url}/sse?channel=${channel}`, { 'last-event-id': cursor });
    const subscribed = await sse2.waitFor((e) => e.event === 'subscribed');
    assert.equal(subscribed.frame.recovered, true);
    acked.push({ ...(await b.publish(channel, 10)), data: 10 }); // and live again, through the node it left
    const resumedWs = await arrivals('ws on C', ws2, channel, acked.slice(5), deliveryMs(SLOW));
    const resumedSse = await arrivals('sse on C', sse2, channel, acked.slice(5), deliveryMs(SLOW));
    assert.deepEqual(
      resumedWs.map((m) => m.data),
      [6, 7, 8, 9, 10],
    );
    assert.deepEqual(resumedSse.map(position), resumedWs.map(position));
    await ws2.close();
    await sse2.close();
  });

  it('shows the same presence from every node, and forgets a client that left', async () => {
    const channel = 'cl:presence';
    const onB = await WsTestClient.connect(b.wsUrl);
    const onC = await WsTestClient.connect(c.wsUrl);
    await onB.request({ type: 'subscribe', channel });
    await onC.request({ type: 'subscribe', channel });
    const idB = onB.frames[0]!.client as string;
    const idC = onC.frames[0]!.client as string;
    // Presence is written (one KV write, bounded by `timeout`) after the subscribe is answered, and removed the
    // same way on close: poll each node until it shows what is expected.
    const presenceOn = async (hub: TestHub, expected: string[]) => {
      let list: string[] = [];
      await untilAsync(
        async () => {
          const r = await hub.api('presence', { channel });
          list = (r.body.clients as Message[]).map((e) => e.client as string).sort();
          return JSON.stringify(list) === JSON.stringify(expected);
        },
        () => `presence ${JSON.stringify(expected)}, the node shows ${JSON.stringify(list)}`,
        deliveryMs(SLOW),
      );
    };
    for (const hub of [a, b, c]) await presenceOn(hub, [idB, idC].sort());
    await onB.close();
    for (const hub of [a, b, c]) await presenceOn(hub, [idC]);
    await onC.close();
  });

  it('loses nothing acknowledged when nats-server restarts mid-stream; publishes fail fast meanwhile', async () => {
    const channel = 'cl:restart';
    const ws = [await WsTestClient.connect(b.wsUrl), await WsTestClient.connect(c.wsUrl)];
    for (const w of ws) await w.request({ type: 'subscribe', channel });
    const sse = [
      await SseTestClient.open(`${b.url}/sse?channel=${channel}`),
      await SseTestClient.open(`${c.url}/sse?channel=${channel}`),
    ];
    for (const s of sse) await s.waitFor((e) => e.event === 'subscribed');

    const acked: Message[] = [];
    const refused: Array<{ status: number; code: string; message: string }> = [];
    let n = 0;
    const publish = async () => {
      n++;
      const r = await a.api('publish', { channel, data: n });
      if (r.status === 200) acked.push({ ...r.body, data: n });
      else refused.push({ status: r.status, code: r.body.error?.code, message: r.body.error?.message });
      return r.status;
    };

    for (let i = 0; i < 10; i++) await publish();
    await nats.stop({ kill: true });
    await until(
      () => !a.node.engine.ready() && !b.node.engine.ready(),
      () =>
        `the nodes to notice the outage: A ready ${a.node.engine.ready()}, B ready ${b.node.engine.ready()}`,
      noticeMs(SLOW),
    );
    const ready = await fetch(`${b.url}/readyz`);
    assert.equal(ready.status, 503);
    for (let i = 0; i < 5; i++) assert.equal(await publish(), 503);
    for (const r of refused) {
      assert.equal(r.code, 'unavailable');
      // Refused by the engine's fail-fast check, not after waiting out a timeout.
      assert.match(r.message, /unreachable/);
    }
    for (const w of ws) assert.equal(w.ws.readyState, w.ws.OPEN, 'WebSocket clients stay connected');

    await nats.restart();
    // Publishing resumes as soon as A is back; ten more acknowledged, then nothing more is published.
    const before = acked.length;
    await until(
      () => a.node.engine.ready(),
      () => 'A to reconnect',
      reconnectMs(FAST),
    );
    // Refused while JetStream settles after the restart (each refusal bounded by `timeout`).
    await untilAsync(
      async () => (await publish()) === 200 && acked.length >= before + 10,
      () =>
        `ten publishes after the restart: ${acked.length - before} acknowledged, last refusals ${JSON.stringify(refused.slice(-2))}`,
      catchUpMs(FAST),
    );
    await until(
      () => b.node.engine.ready() && c.node.engine.ready(),
      () => `B and C to reconnect: B ready ${b.node.engine.ready()}, C ready ${c.node.engine.ready()}`,
      reconnectMs(SLOW),
    );

    const expected = acked.map(position);
    const clients = [
      ['ws B', ws[0]!],
      ['ws C', ws[1]!],
      ['sse B', sse[0]!],
      ['sse C', sse[1]!],
    ] as const;
    for (const [who, client] of clients) {
      const got = await arrivals(who, client, channel, acked, catchUpMs(SLOW));
      assertAscending(got, who);
      const received = new Set(got.map((m) => JSON.stringify(position(m))));
      for (const p of expected) assert.ok(received.has(JSON.stringify(p)), `${who} is missing ${p}`);
    }
    for (const w of ws) assert.equal(w.ws.readyState, w.ws.OPEN);
    for (const w of ws) await w.close();
    for (const s of sse) await s.close();
  });
});

describe('switchboard serve --engine nats://', () => {
  it('starts on NATS, publishes through it and reports ready', async () => {
    const nats = await NatsServer.start();
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--log-level', 'warn', '--engine', nats.url],
      { env: { ...process.env, SWITCHBOARD_API_KEY: 'cli-nats-key' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
    });
    try {
      const port = await until(
        () => Number(/WebSocket\s+ws:\/\/[^:]+:(\d+)\/ws/.exec(stderr)?.[1]) || undefined,
        () => `banner: ${stderr}`,
        20_000,
      );
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 200);
      const publish = await fetch(`http://127.0.0.1:${port}/api/publish`, {
        method: 'POST',
        headers: { authorization: 'Bearer cli-nats-key', 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'cli', data: 1 }),
      });
      assert.equal(publish.status, 200);
      assert.equal((await publish.json()).offset, 1);
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      await nats.destroy();
    }
  });

  it('refuses a bad URL option at start-up with a clear message', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--engine', 'nats://127.0.0.1:1?tiemout=1s'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.match(stderr, /nats engine URL: unknown option "tiemout"/);
  });
});
