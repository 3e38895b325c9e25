// Finding 1 of the second hardening pass: every inbound frame is metered before it is parsed, on every surface
// (WebSocket, Pusher at /app/{key}, POST /sse/command). Hostile clients flood frames that cannot be read; each is
// cut off with a coded close after a bounded number of error replies, while a canary subscriber receives every
// publication made during the flood.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import WebSocket from 'ws';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { APP } from '../helpers/pusher.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const ERROR_RATE = 10;
/** Frames each flooder tries to send: far more than any budget lets through. */
const FLOOD = 20_000;

interface Flooder {
  ws: WebSocket;
  replies: Record<string, any>[];
  sent: number;
  /** The close code, once the hub closed the connection. */
  code: number | undefined;
  started: number;
}

/** The flooders' close codes, once the hub has closed every one (a bounded wait: a flood nobody ends fails). */
function closes(flooders: readonly Flooder[]): Promise<(number | undefined)[]> {
  return until(
    () => flooders.every((f) => f.code !== undefined) && flooders.map((f) => f.code),
    () => `still open after the flood: ${flooders.filter((f) => f.code === undefined).length}`,
    15_000,
  );
}

/** A raw WebSocket that sends `frame` FLOOD times, in batches that yield to the loop, until the hub closes it. */
async function flood(url: string, frame: string): Promise<Flooder> {
  const ws = new WebSocket(url);
  const f: Flooder = {
    ws,
    replies: [],
    sent: 0,
    code: undefined,
    started: 0,
  };
  ws.once('close', (code) => {
    f.code = code;
  });
  ws.on('message', (d) => f.replies.push(JSON.parse(String(d)) as Record<string, any>));
  ws.on('error', () => {
    // The hub ends the flood; a write after its close is not the test's concern.
  });
  await new Promise((resolve) => ws.once('open', resolve));
  f.started = Date.now();
  const batch = (): void => {
    for (let i = 0; i < 500 && f.sent < FLOOD && ws.readyState === WebSocket.OPEN; i++, f.sent++)
      ws.send(frame);
    if (f.sent < FLOOD && ws.readyState === WebSocket.OPEN) setImmediate(batch);
  };
  batch();
  return f;
}

/** The most faults a connection can have answered in `ms`: the error budget's burst plus its rate. */
const faultBound = (ms: number) => 2 * ERROR_RATE + Math.ceil((ERROR_RATE * ms) / 1000) + 1;

describe('inbound frames are metered before they are parsed', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ limits: { errorRate: ERROR_RATE }, pusher: { apps: [APP] } });
  });
  after(async () => {
    await hub?.shutdown();
  });

  it('closes invalid-JSON and over-budget floods with 4504 after bounded error replies; a canary loses nothing', async () => {
    const canary = await WsTestClient.connect(hub.wsUrl);
    await canary.request({ type: 'subscribe', channel: 'canary' });
    const flooders = await Promise.all([
      flood(hub.wsUrl, 'x'),
      flood(hub.wsUrl, 'x'),
      flood(hub.wsUrl, '{"type":"nope"}'),
      // Readable commands, within and then over the command budget: metered before they are run.
      flood(hub.wsUrl, '{"type":"ping"}'),
    ]);
    // Publications while the flood runs, each awaited, so the hub is serving the API while it meters.
    const published = 50;
    for (let i = 0; i < published; i++) await hub.publish('canary', i);
    const codes = await closes(flooders);
    const ended = Date.now();
    assert.deepEqual(codes, [4504, 4504, 4504, 4504]);
    for (const f of flooders) {
      const errors = f.replies.filter((r) => r.type === 'error');
      assert.ok(f.sent > errors.length * 10, `sent ${f.sent}, answered ${errors.length}`);
      assert.ok(errors.length <= faultBound(ended - f.started), `${errors.length} error replies`);
      assert.equal(f.replies.at(-1)?.type, 'disconnect');
      assert.equal(f.replies.at(-1)?.reason, 'too_many_errors');
    }
    // The ping flooder had its burst of pongs (the command budget), then refusals, then the close.
    const pings = flooders[3]!;
    const pongs = pings.replies.filter((r) => r.type === 'pong').length;
    assert.ok(pongs >= 2_000 && pongs < FLOOD, `${pongs} pongs`);
    assert.ok(pings.replies.some((r) => r.code === 'too_many_requests'));
    const got = await canary.waitMessages(published, 'canary');
    assert.deepEqual(
      got.map((m) => m.data),
      Array.from({ length: published }, (_, i) => i),
    );
    assert.equal((await canary.request({ type: 'ping' })).type, 'pong');
    await canary.close();
  });

  it('closes a Pusher connection flooding unreadable messages (4009) after bounded pusher:error replies', async () => {
    const f = await flood(`ws://127.0.0.1:${hub.port}/app/${APP.key}?protocol=7`, 'x');
    assert.deepEqual(await closes([f]), [4009]);
    const errors = f.replies.filter((r) => r.event === 'pusher:error');
    assert.ok(errors.length <= faultBound(Date.now() - f.started), `${errors.length} pusher:error replies`);
    assert.ok(f.sent > errors.length * 10, `sent ${f.sent}`);
  });

  it('meters POST /sse/command before reading it: unreadable bodies end the stream with 4504', async () => {
    const stream = await SseTestClient.open(`${hub.url}/sse?channel=canary`);
    const connected = await stream.waitFor((e) => e.frame.type === 'connected');
    const secret = String(connected.frame.session);
    const statuses: number[] = [];
    for (let i = 0; i < 5 * ERROR_RATE; i++) {
      const res = await fetch(`${hub.url}/sse/command`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-switchboard-session': secret },
        body: 'x',
      });
      await res.text();
      statuses.push(res.status);
    }
    const disconnect = await stream.waitFor((e) => e.frame.type === 'disconnect');
    assert.equal(disconnect.frame.code, 4504);
    assert.equal(disconnect.frame.reason, 'too_many_errors');
    const answered = statuses.filter((s) => s === 400).length;
    assert.ok(answered >= 2 * ERROR_RATE && answered <= faultBound(5_000), `${answered} answered 400`);
    // Once closed, the stream's secret is forgotten: 404, not 400 or 500.
    assert.equal(statuses.at(-1), 404);
    await stream.close();
  });
});
