// The client SDK in Node against a real hub, over both transports: subscribe, publish, history, presence;
// connections broken mid-stream (a real proxy resets them) and the hub's listener restarted (a new hub on the
// same port over the same in-memory backend) resume with nothing lost or repeated; a too-old position says
// `recovered: false`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import {
  Client,
  type ClientStateEvent,
  type Message,
  type SubscribedEvent,
  SwitchboardClientError,
} from '../../packages/client/src/index.ts';
import { createMemoryEngine, MemoryCluster } from '../../packages/server/src/engine/memory/index.ts';
import { type Front, startFront } from '../helpers/front.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

type Kind = 'websocket' | 'sse';
const FAST = { backoff: { minDelayMs: 20, maxDelayMs: 200 } } as const;

/** Everything a subscription emitted, for assertions. */
function record<T>(sub: { on: (e: any, l: (v: any) => void) => () => void }) {
  const messages: Message<T>[] = [];
  const subscribed: SubscribedEvent[] = [];
  const states: string[] = [];
  sub.on('message', (m: Message<T>) => messages.push(m));
  sub.on('subscribed', (s: SubscribedEvent) => subscribed.push(s));
  sub.on('state', (s: { to: string }) => states.push(s.to));
  return { messages, subscribed, states };
}

function offsets(messages: readonly Message<unknown>[]): number[] {
  return messages.map((m) => m.offset);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

for (const kind of ['websocket', 'sse'] as const satisfies readonly Kind[]) {
  describe(`client over ${kind}`, () => {
    let hub: TestHub;
    const clients: Client[] = [];
    const open = (url: string, options: ConstructorParameters<typeof Client>[1] = {}) => {
      const c = new Client(url, { transport: kind, ...FAST, ...options });
      clients.push(c);
      return c;
    };

    before(async () => {
      hub = await startTestHub({ channel: { clientPublish: true, joinLeave: true } });
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      await hub?.shutdown();
    });

    it('connects, says which transport it uses, and moves through its states with reasons', async () => {
      const client = open(hub.url, { autoConnect: false });
      const states: ClientStateEvent[] = [];
      client.on('state', (s) => states.push(s));
      const sub = client.subscribe('hello');
      client.connect();
      await until(
        () => client.state === 'connected' && sub.state === 'subscribed',
        () => client.state,
      );
      assert.equal(client.transport, kind);
      assert.match(client.id ?? '', /^[0-9a-f-]{36}$/);
      assert.deepEqual(states, [
        { from: 'disconnected', to: 'connecting', reason: 'connect' },
        { from: 'connecting', to: 'connected', reason: 'connected' },
      ]);
      client.disconnect();
      assert.equal(states.at(-1)?.reason, 'disconnect');
      assert.equal(sub.state, 'subscribing');
    });

    it('subscribes, receives API and client publications, and reads history and presence', async () => {
      const client = open(hub.url);
      const sub = client.subscribe<{ n: number }>(`room-${kind}`);
      const rec = record<{ n: number }>(sub);
      await sub.ready();
      assert.equal(sub.state, 'subscribed');
      assert.equal(rec.subscribed[0]?.recovered, undefined, 'a fresh subscription asks for no recovery');
      const p1 = await hub.publish(`room-${kind}`, { n: 1 });
      const p2 = await sub.publish({ n: 2 });
      assert.equal(p2.offset, p1.offset + 1);
      await until(
        () => rec.messages.length === 2,
        () => JSON.stringify(rec.messages),
      );
      assert.deepEqual(
        rec.messages.map((m) => m.data),
        [{ n: 1 }, { n: 2 }],
      );
      assert.equal(rec.messages[1]?.info?.client, client.id, 'a client publication says who published it');
      const history = await sub.history({ limit: 10 });
      assert.deepEqual(
        history.publications.map((p) => p.data),
        [{ n: 1 }, { n: 2 }],
      );
      const since = await client.history(`room-${kind}`, { since: p1 });
      assert.equal(since.recovered, true);
      assert.deepEqual(
        since.publications.map((p) => p.offset),
        [p2.offset],
      );
      const presence = await sub.presence();
      assert.ok(presence.some((p) => p.client === client.id));
    });

    it('rejects calls with the hub error code, and times out per call', async () => {
      const client = open(hub.url);
      client.subscribe('codes');
      await until(
        () => client.state === 'connected',
        () => client.state,
      );
      await assert.rejects(
        client.history('codes', { since: { epoch: 'not an epoch!', offset: 1 } }),
        (e: unknown) => e instanceof SwitchboardClientError && e.code === 'bad_position',
        'the hub’s code',
      );
      await assert.rejects(
        client.publish('bad channel!', 1),
        (e: unknown) => e instanceof SwitchboardClientError && e.code === 'invalid_channel',
      );
      // A hub that cannot be reached never answers: the call gives up after its own timeout.
      const front = await startFront(hub.port);
      await front.stop();
      const unreachable = open(front.url);
      await assert.rejects(
        unreachable.history('codes', { timeoutMs: 50 }),
        (e: unknown) => e instanceof SwitchboardClientError && e.code === 'timeout',
      );
      assert.throws(() => client.subscribe('no spaces'), { code: 'invalid_channel' });
      const off = new Client(hub.url, { autoConnect: false });
      await assert.rejects(off.presence('codes'), { code: 'closed' });
      const refused = client.subscribe('codes-refused');
      refused.unsubscribe();
      await assert.rejects(refused.ready(), { code: 'not_subscribed' });
    });

    it('follows the hub’s disconnect codes: 4004 reconnects and resumes, 4503 stays disconnected', async () => {
      const client = open(hub.url);
      const states: ClientStateEvent[] = [];
      client.on('state', (s) => states.push(s));
      const rec = record<number>(client.subscribe(`kick-${kind}`));
      await until(
        () => rec.states.includes('subscribed'),
        () => 'subscribed',
      );
      const first = client.id;
      const again = await hub.api('disconnect', { client: first, reconnect: true });
      assert.equal(again.status, 200);
      await until(
        () => client.state === 'connected' && client.id !== first,
        () => client.state,
      );
      assert.ok(states.some((s) => s.to === 'connecting' && s.code === 4004));
      await hub.publish(`kick-${kind}`, 1);
      await until(
        () => rec.messages.length === 1,
        () => 'message after the reconnect',
      );
      const gone = await hub.api('disconnect', { client: client.id, reconnect: false });
      assert.equal(gone.status, 200);
      await until(
        () => client.state === 'disconnected',
        () => client.state,
      );
      assert.deepEqual(states.at(-1), {
        from: 'connected',
        to: 'disconnected',
        reason: 'server_disconnect',
        code: 4503,
      });
    });

    it('resumes with nothing lost or repeated when connections break mid-stream', async () => {
      const front = await startFront(hub.port);
      try {
        const channel = `cut-${kind}`;
        const client = open(front.url);
        const sub = client.subscribe<number>(channel);
        const rec = record<number>(sub);
        await until(
          () => sub.state === 'subscribed',
          () => sub.state,
        );
        const total = 60;
        const cuts = 4;
        let cut = 0;
        for (let i = 1; i <= total; i++) {
          await hub.publish(channel, i);
          if (i % 15 === 0) {
            // The client is live again after the previous cut (a cut while it reconnects would break nothing):
            // every proxied connection is reset while publications keep coming.
            await until(
              () => rec.subscribed.length === cut + 1,
              () => `${rec.subscribed.length} subscribed events before cut ${cut + 1}`,
              15_000,
            );
            assert.ok(front.open > 0, `nothing to cut at ${i}`);
            front.cut();
            cut++;
          }
        }
        await until(
          () => rec.messages.length >= total && rec.subscribed.length === cuts + 1,
          () => `${rec.messages.length} of ${total} messages, ${rec.subscribed.length} subscribed events`,
          15_000,
        );
        assert.deepEqual(offsets(rec.messages), range(1, total), 'each offset exactly once, in order');
        assert.deepEqual(
          rec.messages.map((m) => m.data),
          range(1, total),
        );
        assert.equal(rec.subscribed.length, cuts + 1, 'it resubscribed once after each break');
        for (const s of rec.subscribed.slice(1)) assert.equal(s.recovered, true);
      } finally {
        await front.stop();
      }
    });

    it('a too-old position yields recovered: false, and the subscription goes on live', async () => {
      const small = await startTestHub({ channel: { history: { size: 3 } } });
      const front = await startFront(small.port);
      try {
        const client = open(front.url);
        const sub = client.subscribe<number>('old');
        const rec = record<number>(sub);
        await until(
          () => sub.state === 'subscribed',
          () => sub.state,
        );
        await small.publish('old', 1);
        await until(
          () => rec.messages.length === 1,
          () => 'first message',
        );
        // The client cannot reach the hub while ten publications go by; history keeps only three.
        await front.stop();
        await until(
          () => sub.state === 'subscribing',
          () => sub.state,
        );
        for (let i = 2; i <= 11; i++) await small.publish('old', i);
        await front.listen();
        await until(
          () => rec.subscribed.length === 2,
          () => JSON.stringify(rec.subscribed),
        );
        assert.equal(rec.subscribed[1]?.recovered, false);
        assert.deepEqual(rec.subscribed[1]?.since, { epoch: rec.messages[0]!.epoch, offset: 1 });
        await small.publish('old', 12);
        await until(
          () => rec.messages.length === 2,
          () => JSON.stringify(offsets(rec.messages)),
        );
        assert.deepEqual(offsets(rec.messages), [1, 12], 'nothing it could not recover is made up');

        // The same answer for a position given by the app.
        const other = open(small.url);
        const late = record<number>(
          other.subscribe('old', { since: { epoch: rec.messages[0]!.epoch, offset: 2 } }),
        );
        await until(
          () => late.subscribed.length === 1,
          () => 'subscribed',
        );
        assert.equal(late.subscribed[0]?.recovered, false);
      } finally {
        await front.stop().catch(() => {});
        await small.shutdown();
      }
    });
  });
}

describe('client transport choice and SSE specifics', () => {
  let hub: TestHub;
  let front: Front;
  before(async () => {
    hub = await startTestHub();
    front = await startFront(hub.port);
  });
  after(async () => {
    await front?.stop();
    await hub?.shutdown();
  });

  it('auto uses WebSocket when it can, and falls back to SSE behind a proxy that refuses the upgrade', async () => {
    const direct = new Client(front.url, FAST);
    direct.subscribe('auto');
    await until(
      () => direct.state === 'connected',
      () => direct.state,
    );
    assert.equal(direct.transport, 'websocket');
    direct.disconnect();

    front.refuseUpgrades = true;
    try {
      const behind = new Client(front.url, FAST);
      const events: string[] = [];
      behind.on('connected', (c) => events.push(c.transport));
      const rec = record<number>(behind.subscribe('auto'));
      await until(
        () => rec.states.includes('subscribed'),
        () => behind.state,
      );
      assert.equal(behind.transport, 'sse');
      assert.deepEqual(events, ['sse']);
      await hub.publish('auto', 1);
      await until(
        () => rec.messages.length === 1,
        () => 'message',
      );
      behind.disconnect();
    } finally {
      front.refuseUpgrades = false;
    }
  });

  it('SSE: subscribing to more channels re-opens the stream, and the others resume with nothing lost', async () => {
    const client = new Client(front.url, { transport: 'sse', ...FAST });
    const a = record<number>(client.subscribe('sse-a'));
    await until(
      () => a.states.includes('subscribed'),
      () => 'a',
    );
    for (let i = 1; i <= 5; i++) await hub.publish('sse-a', i);
    await until(
      () => a.messages.length === 5,
      () => 'five',
    );
    const b = record<number>(client.subscribe('sse-b'));
    const publishing = (async () => {
      for (let i = 6; i <= 30; i++) await hub.publish('sse-a', i);
    })();
    await until(
      () => b.states.includes('subscribed'),
      () => 'b',
    );
    await publishing;
    await hub.publish('sse-b', 1);
    await until(
      () => a.messages.length >= 30 && b.messages.length === 1,
      () => `${a.messages.length}`,
    );
    assert.deepEqual(offsets(a.messages), range(1, 30));
    assert.equal(b.subscribed[0]?.recovered, undefined, 'the new channel asked for nothing to recover');
    assert.equal(client.state, 'connected');
    const streams = front.requests.filter((r) => r.url.startsWith('/sse?'));
    assert.ok(streams.at(-1)!.url.includes('since='), 'the new stream resumes the old channels');
    b.messages.length = 0;
    client.getSubscription('sse-b')!.unsubscribe();
    await hub.publish('sse-b', 2);
    await hub.publish('sse-a', 31);
    await until(
      () => a.messages.length === 31,
      () => `${a.messages.length}`,
    );
    assert.equal(b.messages.length, 0);
    client.disconnect();
  });
});

describe('client across a hub restart', () => {
  const cluster = new MemoryCluster();
  let hub: TestHub;
  after(async () => {
    await hub?.shutdown();
  });

  for (const kind of ['websocket', 'sse'] as const) {
    it(`over ${kind}: a new hub on the same port resumes every subscription from where it was`, async () => {
      hub = await startTestHub({}, createMemoryEngine({ cluster }));
      const port = hub.port;
      const client = new Client(hub.url, { transport: kind, ...FAST });
      const a = record<number>(client.subscribe(`r-a-${kind}`));
      const b = record<number>(client.subscribe(`r-b-${kind}`));
      await until(
        () => a.states.includes('subscribed') && b.states.includes('subscribed'),
        () => 'subscribed',
      );
      for (let i = 1; i <= 10; i++) await hub.publish(`r-a-${kind}`, i);
      await hub.shutdown();
      await until(
        () => client.state === 'connecting',
        () => client.state,
      );
      hub = await startTestHub({ server: { port } }, createMemoryEngine({ cluster }));
      for (let i = 11; i <= 20; i++) await hub.publish(`r-a-${kind}`, i);
      await hub.publish(`r-b-${kind}`, 1);
      await until(
        () => a.messages.length >= 20 && b.messages.length >= 1,
        () => `${a.messages.length} ${b.messages.length}`,
        15_000,
      );
      assert.deepEqual(offsets(a.messages), range(1, 20));
      assert.deepEqual(offsets(b.messages), [1]);
      assert.equal(a.subscribed.at(-1)?.recovered, true);
      client.disconnect();
      await hub.shutdown();
    });
  }
});
