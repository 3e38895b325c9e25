// Wire version 2 (docs/protocol.md, "Wire version 2: compact message frames") with raw WebSocket and SSE
// clients: negotiated with `wire=2`, confirmed by `wire` in `connected` and `sid` in `subscribed`; a publication
// that follows the last one sent on its channel is `[sid,data]`, one in the same epoch at another offset is
// `[sid,offset,data]`, and everything else stays the full version 1 frame. A version 1 and a version 2 client of
// the same channel, side by side, read the same positions and data.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { type Frame, WsTestClient } from '../helpers/ws-client.ts';

interface Delivery {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly data: unknown;
  /** How it came: a full `message` frame, `[sid,data]` or `[sid,offset,data]`. */
  readonly form: 'full' | 'implied' | 'explicit';
}

/**
 * Reads a connection's frames as docs/protocol.md says a version 2 client does: the channel of each `sid` from
 * `subscribed`, the last position per channel from `subscribed` and every message frame.
 */
function decode(frames: readonly unknown[]): Delivery[] {
  const bySid = new Map<number, string>();
  const last = new Map<string, { epoch: string; offset: number }>();
  const out: Delivery[] = [];
  for (const f of frames) {
    if (Array.isArray(f)) {
      const sid = f[0] as number;
      const channel = bySid.get(sid);
      assert.ok(channel !== undefined, `a compact frame of an unknown sid: ${JSON.stringify(f)}`);
      const at = last.get(channel)!;
      assert.ok(f.length === 2 || f.length === 3, JSON.stringify(f));
      const offset = f.length === 2 ? at.offset + 1 : (f[1] as number);
      last.set(channel, { epoch: at.epoch, offset });
      out.push({
        channel,
        epoch: at.epoch,
        offset,
        data: f[f.length - 1],
        form: f.length === 2 ? 'implied' : 'explicit',
      });
      continue;
    }
    const frame = f as Frame;
    if (frame.type === 'subscribed') {
      if (typeof frame.sid === 'number') bySid.set(frame.sid, frame.channel);
      last.set(frame.channel, { epoch: frame.epoch, offset: frame.offset });
    } else if (frame.type === 'message') {
      last.set(frame.channel, { epoch: frame.epoch, offset: frame.offset });
      out.push({
        channel: frame.channel,
        epoch: frame.epoch,
        offset: frame.offset,
        data: frame.data ?? frame.data_b64,
        form: 'full',
      });
    }
  }
  return out;
}

/** What a version 1 client reads: its `message` frames' positions and data. */
function positions(deliveries: readonly Delivery[]): unknown[] {
  return deliveries.map((d) => [d.channel, d.epoch, d.offset, d.data]);
}

const sseFrames = (c: SseTestClient): unknown[] => c.events.map((e) => e.frame);
const isMessage = (f: unknown): boolean => Array.isArray(f) || (f as Frame).type === 'message';

describe('wire version 2', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({
      channel: { clientPublish: true },
      namespaces: {
        quiet: { clientPublish: true, echo: false },
        capped: { clientPublish: true, delivery: { policy: 'latest', maxRate: 5 } },
        dropping: { clientPublish: true, delivery: { policy: 'drop-oldest', queueSize: 2, maxRate: 5 } },
      },
    });
  });
  after(() => hub.shutdown());

  describe('negotiation', () => {
    for (const [query, expected] of [
      ['?wire=2', 2],
      ['?wire=3', 2],
      ['?wire=99999', 2],
      ['?wire=1', 1],
      ['?wire=0', 1],
      ['?wire=two', 1],
      ['?wire=', 1],
      ['?wire=-2', 1],
      ['', 1],
      ['?other=1&wire=2', 2],
    ] as const) {
      const name = `neg-${query.replace(/[^a-z0-9]/g, '_')}`;
      it(`WebSocket /ws${query}: version ${expected}, never an error`, async () => {
        const c = await WsTestClient.connect(`${hub.wsUrl}${query}`);
        const connected = c.frames.find((f) => f.type === 'connected')!;
        assert.equal(connected.wire, expected === 2 ? 2 : undefined);
        const sub = await c.request({ type: 'subscribe', channel: `${name}-ws` });
        assert.equal(sub.type, 'subscribed');
        assert.equal(typeof sub.sid, expected === 2 ? 'number' : 'undefined');
        await hub.publish(`${name}-ws`, { q: query });
        await until(
          () => c.frames.some(isMessage),
          () => 'the message',
        );
        const message = c.frames.find(isMessage);
        if (expected === 2) assert.deepEqual(message, [sub.sid, { q: query }]);
        else assert.equal(message?.type, 'message');
        await c.close();
      });

      it(`SSE /sse?channel=…${query.replace('?', '&')}: version ${expected}, never an error`, async () => {
        const channel = `${name}-sse`;
        const c = await SseTestClient.open(
          `${hub.url}/sse?channel=${encodeURIComponent(channel)}${query.replace('?', '&')}`,
        );
        assert.equal(c.response.statusCode, 200);
        const sub = (await c.waitFor((e) => e.frame.type === 'subscribed')).frame;
        assert.equal(c.frames('connected')[0]?.wire, expected === 2 ? 2 : undefined);
        assert.equal(typeof sub.sid, expected === 2 ? 'number' : 'undefined');
        await hub.publish(channel, { q: query });
        const event = await c.waitFor((e) => isMessage(e.frame));
        if (expected === 2) assert.deepEqual(event.frame, [sub.sid, { q: query }]);
        else assert.equal(event.frame.type, 'message');
        await c.close();
      });
    }

    it('a hub with server.compactFrames off ignores wire=2 on both transports', async () => {
      const off = await startTestHub({ server: { compactFrames: false } });
      try {
        const ws = await WsTestClient.connect(`${off.wsUrl}?wire=2`);
        assert.equal(ws.frames[0]?.wire, undefined);
        const sub = await ws.request({ type: 'subscribe', channel: 'off' });
        assert.equal(sub.sid, undefined);
        const sse = await SseTestClient.open(`${off.url}/sse?channel=off&wire=2`);
        const subscribed = (await sse.waitFor((e) => e.frame.type === 'subscribed')).frame;
        assert.equal(subscribed.sid, undefined);
        await off.publish('off', 1);
        await ws.waitMessages(1);
        await sse.waitMessages(1);
        assert.equal(ws.messages()[0]?.offset, 1);
        assert.equal(sse.messages()[0]?.offset, 1);
        await ws.close();
        await sse.close();
      } finally {
        await off.shutdown();
      }
    });
  });

  it('WebSocket: [sid,data] for the next offset, the exact bytes; the same positions as a version 1 client', async () => {
    const v1 = await WsTestClient.connect(hub.wsUrl);
    const v2 = await WsTestClient.connect(`${hub.wsUrl}?wire=2`);
    const raw: string[] = [];
    v2.ws.on('message', (data) => raw.push(String(data)));
    await v1.request({ type: 'subscribe', channel: 'implied' });
    const sub = await v2.request({ type: 'subscribe', channel: 'implied' });
    for (let i = 1; i <= 5; i++) await hub.publish('implied', { i, text: 'x'.repeat(i) });
    await v1.waitMessages(5);
    await until(
      () => v2.frames.filter(isMessage).length === 5,
      () => 'five compact frames',
    );
    const messages = raw.filter((t) => t.startsWith('['));
    assert.deepEqual(
      messages,
      [1, 2, 3, 4, 5].map((i) => `[${sub.sid},{"i":${i},"text":"${'x'.repeat(i)}"}]`),
    );
    const decoded = decode(v2.frames);
    assert.deepEqual(
      decoded.map((d) => d.form),
      ['implied', 'implied', 'implied', 'implied', 'implied'],
    );
    assert.deepEqual(positions(decoded), positions(decode(v1.frames)));
    await v1.close();
    await v2.close();
  });

  it('sids are node-wide per channel: two connections share one; another channel has its own', async () => {
    const a = await WsTestClient.connect(`${hub.wsUrl}?wire=2`);
    const b = await WsTestClient.connect(`${hub.wsUrl}?wire=2`);
    const one = await a.request({ type: 'subscribe', channel: 'shared-sid' });
    const two = await b.request({ type: 'subscribe', channel: 'shared-sid' });
    const other = await b.request({ type: 'subscribe', channel: 'other-sid' });
    assert.equal(one.sid, two.sid);
    assert.notEqual(one.sid, other.sid);
    // Once the channel has no subscriber left on the node, its sid is never used again.
    await a.request({ type: 'unsubscribe', channel: 'shared-sid' });
    await b.request({ type: 'unsubscribe', channel: 'shared-sid' });
    const again = await a.request({ type: 'subscribe', channel: 'shared-sid' });
    assert.ok(again.sid > other.sid, `${again.sid} after ${other.sid}`);
    await a.close();
    await b.close();
  });

  it('a gap (echo off skips the own publication) gives [sid,offset,data]; info and bytes give the full frame', async () => {
    const v1 = await WsTestClient.connect(hub.wsUrl);
    const v2 = await WsTestClient.connect(`${hub.wsUrl}?wire=2`);
    const publisher = await WsTestClient.connect(hub.wsUrl);
    await v1.request({ type: 'subscribe', channel: 'quiet:gap' });
    const sub = await v2.request({ type: 'subscribe', channel: 'quiet:gap' });
    await hub.publish('quiet:gap', 1); // 1: implied
    await v2.request({ type: 'publish', channel: 'quiet:gap', data: 2 }); // 2: its own, not delivered to it
    await hub.publish('quiet:gap', 3); // 3: after a gap, explicit
    await publisher.request({ type: 'publish', channel: 'quiet:gap', data: 4 }); // 4: has info, full
    await hub.publish('quiet:gap', 5); // 5: follows the full frame, implied
    const bytes = await hub.api('publish', { channel: 'quiet:gap', data_b64: 'AAEC' }); // 6: bytes, full
    assert.equal(bytes.status, 200);
    await hub.publish('quiet:gap', 7); // 7: implied
    await v1.waitMessages(6);
    await until(
      () => v2.frames.filter(isMessage).length === 6,
      () => 'six messages',
    );
    const compact = v2.frames.filter(isMessage);
    assert.deepEqual(compact[0], [sub.sid, 1]);
    assert.deepEqual(compact[1], [sub.sid, 3, 3]);
    assert.equal((compact[2] as Frame).type, 'message');
    assert.equal((compact[2] as Frame).info.client, publisher.frames[0]!.client);
    assert.deepEqual(compact[3], [sub.sid, 5]);
    assert.equal((compact[4] as Frame).data_b64, 'AAEC');
    assert.deepEqual(compact[5], [sub.sid, 7]);
    const decoded = decode(v2.frames);
    assert.deepEqual(
      decoded.map((d) => [d.offset, d.form]),
      [
        [1, 'implied'],
        [3, 'explicit'],
        [4, 'full'],
        [5, 'implied'],
        [6, 'full'],
        [7, 'implied'],
      ],
    );
    // The version 1 client published none of them: it gets all seven.
    assert.deepEqual(
      decode(v1.frames).map((d) => d.offset),
      [1, 2, 3, 4, 5, 6, 7],
    );
    await v1.close();
    await v2.close();
    await publisher.close();
  });

  for (const channel of ['capped:api', 'dropping:api']) {
    it(`delivery policies (${channel.split(':')[0]}): gaps are explicit, the next after a delivered one implied`, async () => {
      const v2 = await WsTestClient.connect(`${hub.wsUrl}?wire=2`);
      const v1 = await WsTestClient.connect(hub.wsUrl);
      const sub = await v2.request({ type: 'subscribe', channel });
      await v1.request({ type: 'subscribe', channel });
      // Far faster than 5 per second: most of it is conflated or dropped for each subscriber.
      for (let i = 1; i <= 30; i++) await hub.publish(channel, i);
      await until(
        () =>
          decode(v2.frames).some((d) => d.offset === 30) && decode(v1.frames).some((d) => d.offset === 30),
        () => `the last publication; got ${JSON.stringify(v2.frames.slice(-3))}`,
        10_000,
      );
      const decoded = decode(v2.frames);
      assert.ok(decoded.length < 30, `${decoded.length} delivered`);
      // Data i was published at offset i: every delivery decodes to its own position.
      let previous = 0;
      for (const d of decoded) {
        assert.equal(d.offset, d.data);
        assert.equal(d.form, d.offset === previous + 1 ? 'implied' : 'explicit', JSON.stringify(d));
        previous = d.offset;
      }
      assert.ok(decoded.some((d) => d.form === 'explicit'));
      assert.ok(v2.frames.filter(isMessage).every((f) => Array.isArray(f) && f[0] === sub.sid));
      for (const d of decode(v1.frames)) assert.equal(d.offset, d.data);
      await v2.close();
      await v1.close();
    });
  }

  it('a new epoch comes as the full frame; the next publication is implied again', async () => {
    const v2 = await WsTestClient.connect(`${hub.wsUrl}?wire=2`);
    const sub = await v2.request({ type: 'subscribe', channel: 'epochs' });
    const first = await hub.publish('epochs', 'a');
    // The engine loses the channel's stream (a flushed Redis, a restarted in-memory cluster): a new epoch.
    await hub.node.engine.history.remove('epochs');
    const second = await hub.publish('epochs', 'b');
    await hub.publish('epochs', 'c');
    assert.notEqual(first.epoch, second.epoch);
    await until(
      () => v2.frames.filter(isMessage).length === 3,
      () => 'three messages',
    );
    const messages = v2.frames.filter(isMessage);
    assert.deepEqual(messages[0], [sub.sid, 'a']);
    assert.equal((messages[1] as Frame).type, 'message');
    assert.equal((messages[1] as Frame).epoch, second.epoch);
    assert.deepEqual(messages[2], [sub.sid, 'c']);
    assert.deepEqual(
      decode(v2.frames).map((d) => [d.epoch, d.offset, d.data]),
      [
        [first.epoch, 1, 'a'],
        [second.epoch, 1, 'b'],
        [second.epoch, 2, 'c'],
      ],
    );
    await v2.close();
  });

  it('WebSocket resume: the first missed publication is explicit, the rest implied, then live', async () => {
    for (let i = 1; i <= 6; i++) await hub.publish('resume-ws', i);
    const v1 = await WsTestClient.connect(hub.wsUrl);
    const v2 = await WsTestClient.connect(`${hub.wsUrl}?wire=2`);
    const since = { epoch: (await hub.publish('resume-ws', 7)).epoch, offset: 3 };
    const a = await v1.request({ type: 'subscribe', channel: 'resume-ws', since });
    const b = await v2.request({ type: 'subscribe', channel: 'resume-ws', since });
    assert.equal(a.recovered, true);
    assert.equal(b.recovered, true);
    assert.equal(b.offset, 7);
    await hub.publish('resume-ws', 8);
    await v1.waitMessages(5);
    await until(
      () => v2.frames.filter(isMessage).length === 5,
      () => 'five messages',
    );
    assert.deepEqual(v2.frames.filter(isMessage), [
      [b.sid, 4, 4],
      [b.sid, 5],
      [b.sid, 6],
      [b.sid, 7],
      [b.sid, 8],
    ]);
    assert.deepEqual(positions(decode(v2.frames)), positions(decode(v1.frames)));
    // A position that cannot be recovered: recovered false, then live; the first live one follows `subscribed`.
    const c = await WsTestClient.connect(`${hub.wsUrl}?wire=2`);
    const lost = await c.request({
      type: 'subscribe',
      channel: 'resume-ws',
      since: { epoch: 'gone', offset: 2 },
    });
    assert.equal(lost.recovered, false);
    await hub.publish('resume-ws', 9);
    await until(
      () => c.frames.some(isMessage),
      () => 'the live message',
    );
    assert.deepEqual(c.frames.find(isMessage), [lost.sid, 9]);
    await v1.close();
    await v2.close();
    await c.close();
  });

  it('SSE: one event per publication with the same id: line as version 1, data [sid,data]', async () => {
    const v1 = await SseTestClient.open(`${hub.url}/sse?channel=sse-one`);
    const v2 = await SseTestClient.open(`${hub.url}/sse?channel=sse-one&wire=2`);
    await v1.waitFor((e) => e.frame.type === 'subscribed');
    const sub = (await v2.waitFor((e) => e.frame.type === 'subscribed')).frame;
    for (let i = 1; i <= 4; i++) await hub.publish('sse-one', { i });
    await v1.waitMessages(4);
    await until(
      () => v2.events.filter((e) => isMessage(e.frame)).length === 4,
      () => 'four events',
    );
    const events = v2.events.filter((e) => isMessage(e.frame));
    assert.deepEqual(
      events.map((e) => e.id),
      v1.events.filter((e) => e.frame.type === 'message').map((e) => e.id),
    );
    // The exact event bytes: the cursor, then the compact frame.
    for (const [n, e] of events.entries()) {
      assert.ok(v2.raw.includes(`id: ${e.id}\ndata: [${sub.sid},{"i":${n + 1}}]\n\n`), e.id);
      assert.equal(e.event, 'message');
    }
    assert.deepEqual(positions(decode(sseFrames(v2))), positions(decode(sseFrames(v1))));
    await v1.close();
    await v2.close();
  });

  it('SSE resume with Last-Event-ID: the same cursor resumes a version 2 stream exactly', async () => {
    const first = await SseTestClient.open(`${hub.url}/sse?channel=sse-resume&wire=2`);
    await first.waitFor((e) => e.frame.type === 'subscribed');
    for (let i = 1; i <= 3; i++) await hub.publish('sse-resume', i);
    await until(
      () => first.events.filter((e) => isMessage(e.frame)).length === 3,
      () => 'three events',
    );
    const cursor = first.lastEventId;
    await first.close();
    for (let i = 4; i <= 7; i++) await hub.publish('sse-resume', i);
    const v1 = await SseTestClient.open(`${hub.url}/sse?channel=sse-resume`, { 'last-event-id': cursor });
    const v2 = await SseTestClient.open(`${hub.url}/sse?channel=sse-resume&wire=2`, {
      'last-event-id': cursor,
    });
    await v1.waitMessages(4);
    await until(
      () => v2.events.filter((e) => isMessage(e.frame)).length === 4,
      () => 'four events',
    );
    const sub = v2.frames('subscribed')[0]!;
    assert.equal(sub.recovered, true);
    assert.deepEqual(
      v2.events.filter((e) => isMessage(e.frame)).map((e) => e.frame),
      [
        [sub.sid, 4, 4],
        [sub.sid, 5],
        [sub.sid, 6],
        [sub.sid, 7],
      ],
    );
    assert.equal(v2.lastEventId, v1.lastEventId);
    assert.deepEqual(positions(decode(sseFrames(v2))), positions(decode(sseFrames(v1))));
    await v1.close();
    await v2.close();
  });

  it('SSE multi-channel streams: a sid per channel, positions per channel, the same cursors as version 1', async () => {
    const url = `${hub.url}/sse?channel=multi-a&channel=multi-b`;
    const v1 = await SseTestClient.open(url);
    const v2 = await SseTestClient.open(`${url}&wire=2`);
    await until(
      () => v1.frames('subscribed').length === 2 && v2.frames('subscribed').length === 2,
      () => 'both subscribed twice',
    );
    const sids = v2.frames('subscribed').map((f) => f.sid);
    assert.notEqual(sids[0], sids[1]);
    for (let i = 1; i <= 3; i++) await hub.publish('multi-a', `a${i}`);
    for (let i = 1; i <= 3; i++) {
      await hub.publish('multi-b', `b${i}`);
      await hub.publish('multi-a', `a${3 + i}`);
    }
    await v1.waitMessages(9);
    await until(
      () => v2.events.filter((e) => isMessage(e.frame)).length === 9,
      () => 'nine events',
    );
    assert.deepEqual(
      v2.events.filter((e) => isMessage(e.frame)).map((e) => e.id),
      v1.events.filter((e) => e.frame.type === 'message').map((e) => e.id),
    );
    assert.ok(v2.events.filter((e) => isMessage(e.frame)).every((e) => Array.isArray(e.frame)));
    assert.deepEqual(positions(decode(sseFrames(v2))), positions(decode(sseFrames(v1))));
    await v1.close();
    await v2.close();
  });
});
