// The Pusher protocol on the wire, with a raw WebSocket client: the handshake's refusals by code, malformed
// messages, ping/pong, and a repeated subscribe, each answered while the connection (and the hub) goes on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import WebSocket from 'ws';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { APP, serverSdk } from '../helpers/pusher.ts';

interface Raw {
  ws: WebSocket;
  messages: Record<string, any>[];
  closed: { code: number } | null;
}

function open(hub: TestHub, path: string): Promise<Raw> {
  const ws = new WebSocket(`ws://127.0.0.1:${hub.port}${path}`);
  const raw: Raw = { ws, messages: [], closed: null };
  ws.on('message', (d) => raw.messages.push(JSON.parse(String(d)) as Record<string, any>));
  ws.on('close', (code) => {
    raw.closed = { code };
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(raw));
    ws.once('error', reject);
  });
}

const named = (raw: Raw, event: string) => raw.messages.filter((m) => m.event === event);

describe('Pusher protocol on the wire', () => {
  let hub: TestHub;
  const opened: Raw[] = [];
  const connect = async (path: string) => {
    const r = await open(hub, path);
    opened.push(r);
    return r;
  };
  before(async () => {
    hub = await startTestHub({ pusher: { apps: [APP] } });
  });
  after(async () => {
    for (const r of opened) r.ws.terminate();
    await hub.shutdown();
  });

  for (const [path, code] of [
    [`/app/nope?protocol=7`, 4001],
    [`/app/${APP.key}`, 4008],
    [`/app/${APP.key}?protocol=seven`, 4006],
    [`/app/${APP.key}?protocol=8`, 4007],
  ] as const) {
    it(`refuses ${path} with ${code}: pusher:error, then the close code`, async () => {
      const r = await connect(path);
      await until(
        () => r.closed !== null,
        () => `closed; got ${JSON.stringify(r.messages)}`,
        10_000,
      );
      assert.equal(r.closed?.code, code);
      assert.equal(named(r, 'pusher:error')[0]?.data.code, code);
    });
  }

  it('establishes, answers ping, refuses garbage, and ignores a repeated subscribe', async () => {
    const r = await connect(`/app/${APP.key}?protocol=7&client=js&version=8.6.0`);
    await until(
      () => named(r, 'pusher:connection_established').length === 1,
      () => 'established',
      10_000,
    );
    const established = JSON.parse(named(r, 'pusher:connection_established')[0]!.data as string);
    assert.match(established.socket_id, /^\d+\.\d+$/);
    assert.equal(established.activity_timeout, 120);
    r.ws.send('{"event":"pusher:ping","data":{}}');
    r.ws.send('not json');
    r.ws.send('{"event":"pusher:subscribe","data":{"channel":"semi;colon"}}');
    r.ws.send('{"event":"pusher:subscribe","data":{"channel":"private-x","auth":"k:bad"}}');
    r.ws.send('{"event":"pusher:subscribe","data":{"channel":"twice"}}');
    r.ws.send('{"event":"pusher:subscribe","data":{"channel":"twice"}}');
    r.ws.send('{"event":"something-else"}');
    await until(
      () => named(r, 'pusher:error').length === 2 && named(r, 'pusher:subscription_error').length === 2,
      () => JSON.stringify(r.messages),
      10_000,
    );
    assert.equal(named(r, 'pusher:pong').length, 1);
    assert.deepEqual(
      named(r, 'pusher:subscription_error').map((m) => [m.channel, m.data.status]),
      [
        ['semi;colon', 400],
        ['private-x', 401],
      ],
    );
    // The repeated subscribe: one success only; then an event proves the subscription is live once.
    await hub.publish('twice', { event: 'e', data: 'x' });
    await until(
      () => named(r, 'e').length === 1,
      () => JSON.stringify(r.messages),
      10_000,
    );
    assert.equal(named(r, 'pusher_internal:subscription_succeeded').length, 1);
    assert.equal(r.closed, null);
  });
});

describe('Pusher heartbeats', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ pusher: { apps: [APP] }, heartbeat: { intervalMs: 200, timeoutMs: 100 } });
  });
  after(() => hub.shutdown());

  it('drops a client that answers neither pusher:ping nor the WebSocket ping with 4201', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${hub.port}/app/${APP.key}?protocol=7`, { autoPong: false });
    const messages: Record<string, any>[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d)) as Record<string, any>));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    // At most one interval to the first ping, then the timeout, then up to one more interval for the check.
    const code = await Promise.race([
      closed,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('not dropped')), 10 * (200 + 100)).unref(),
      ),
    ]);
    assert.equal(code, 4201);
    assert.ok(messages.some((m) => m.event === 'pusher:ping'));
    assert.equal(messages.find((m) => m.event === 'pusher:error')?.data.code, 4201);
  });
});

describe('Pusher presence limit', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ pusher: { apps: [APP], maxPresenceMembers: 2 } });
  });
  after(() => hub.shutdown());

  it('refuses a third user on a presence channel (403), and lets a member in again', async () => {
    const sockets: WebSocket[] = [];
    const join = async (user: string) => {
      const ws = new WebSocket(`ws://127.0.0.1:${hub.port}/app/${APP.key}?protocol=7`);
      sockets.push(ws);
      const messages: Record<string, any>[] = [];
      ws.on('message', (d) => messages.push(JSON.parse(String(d)) as Record<string, any>));
      await until(
        () => messages.some((m) => m.event === 'pusher:connection_established'),
        () => 'established',
        10_000,
      );
      const socketId = JSON.parse(messages[0]!.data as string).socket_id as string;
      const channelData = JSON.stringify({ user_id: user });
      const { auth } = serverSdk(hub).authorizeChannel(socketId, 'presence-small', { user_id: user });
      ws.send(
        JSON.stringify({
          event: 'pusher:subscribe',
          data: { channel: 'presence-small', auth, channel_data: channelData },
        }),
      );
      return until(
        () =>
          messages.find(
            (m) =>
              m.event.startsWith('pusher_internal:subscription_succeeded') ||
              m.event === 'pusher:subscription_error',
          ),
        () => JSON.stringify(messages),
        10_000,
      );
    };
    try {
      assert.equal((await join('u1')).event, 'pusher_internal:subscription_succeeded');
      assert.equal((await join('u2')).event, 'pusher_internal:subscription_succeeded');
      const third = await join('u3');
      assert.equal(third.event, 'pusher:subscription_error');
      assert.deepEqual(third.data, {
        type: 'LimitReached',
        error: 'the presence channel has its most members',
        status: 403,
      });
      assert.equal(
        (await join('u1')).event,
        'pusher_internal:subscription_succeeded',
        "u1's second connection",
      );
    } finally {
      for (const ws of sockets) ws.terminate();
    }
  });
});
