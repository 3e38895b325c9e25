// Publications of bytes end to end (docs/protocol.md, "Binary data"): published over the HTTP API (an
// octet-stream body, and data_b64 in JSON), by a WebSocket client (a binary envelope) and through the SSE command
// endpoint (data_b64); received identical as WebSocket binary frames, as base64 text on a text-only WebSocket
// and on SSE; from history, after a resume, as a last value and through keyed conflation; at the size limit and
// one byte over it. The payloads are random bytes that hold every value 0–255.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { BYTES_CODEC, Client, type Codec } from '@switchboard/client';
import { encodeEnvelope } from '@switchboard/protocol';
import { measureWireBytes } from '../../bench/wire-bytes.ts';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { type Frame, WsTestClient } from '../helpers/ws-client.ts';

const LIMIT = 4_096;
const execFileAsync = promisify(execFile);

/** `n` random bytes (n >= 256) holding every byte value, shuffled in among the random ones. */
function bytesWithEveryValue(n: number): Buffer {
  const out = randomBytes(n);
  for (let v = 0; v < 256; v++) out[(v * 7919) % n] = v;
  assert.equal(new Set(out).size, 256);
  return out;
}

/** The bytes a received frame carries: a binary frame's payload, or its `data_b64` decoded. */
function bytesOf(frame: Record<string, any>): Buffer {
  if (frame.binary === true) return frame.bytes as Buffer;
  assert.equal(typeof frame.data_b64, 'string', `no bytes in ${JSON.stringify(frame).slice(0, 200)}`);
  assert.equal('data' in frame, false);
  return Buffer.from(frame.data_b64 as string, 'base64');
}

const binaryWs = (hub: TestHub) => WsTestClient.connect(hub.wsUrl, {}, ['switchboard.binary']);

describe('publications of bytes', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({
      channel: { clientPublish: true },
      namespaces: {
        small: { clientPublish: true, maxMessageBytes: LIMIT },
        last: { lastValue: true },
        keyed: { delivery: { policy: 'latest', conflateKey: 'k', maxRate: 2 } },
      },
    });
  });
  after(() => hub.shutdown());

  const postBytes = (query: string, body: Buffer, headers: Record<string, string> = {}) =>
    fetch(`${hub.url}/api/publish${query}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TEST_API_KEY}`,
        'content-type': 'application/octet-stream',
        ...headers,
      },
      body: new Uint8Array(body),
    });

  it('the HTTP API takes bytes as an octet-stream body and as data_b64; every transport gets them identical', async () => {
    const channel = 'bytes:api';
    const bin = await binaryWs(hub);
    assert.equal(bin.ws.protocol, 'switchboard.binary');
    const text = await WsTestClient.connect(hub.wsUrl);
    assert.equal(text.ws.protocol, '');
    await bin.request({ type: 'subscribe', channel });
    await text.request({ type: 'subscribe', channel });
    const sse = await SseTestClient.open(`${hub.url}/sse?channel=${channel}`);
    await sse.waitFor((e) => e.frame.type === 'subscribed');

    const sent = [bytesWithEveryValue(1000), bytesWithEveryValue(257), bytesWithEveryValue(258)];
    const r1 = await postBytes(`?channel=${channel}`, sent[0]!);
    assert.equal(r1.status, 200);
    assert.deepEqual(await r1.json(), {
      channel,
      epoch: (await hub.api('history', { channel })).body.epoch,
      offset: 1,
    });
    const r2 = await postBytes('', sent[1]!, { 'x-switchboard-channel': channel, 'idempotency-key': 'once' });
    assert.equal(r2.status, 200);
    const again = await postBytes('', sent[1]!, {
      'x-switchboard-channel': channel,
      'idempotency-key': 'once',
    });
    assert.equal((await again.json()).duplicate, true);
    const r3 = await hub.api('publish', { channel, data_b64: sent[2]!.toString('base64') });
    assert.equal(r3.status, 200);
    assert.equal(r3.body.offset, 3);
    // A broadcast takes data_b64 too.
    const broadcast = await hub.api('broadcast', {
      channels: [channel, 'bytes:elsewhere'],
      data_b64: sent[2]!.toString('base64'),
    });
    assert.deepEqual(
      broadcast.body.results.map((r: Frame) => r.offset),
      [4, 1],
    );
    // A JSON publication on the same channel still comes as JSON text everywhere.
    await hub.publish(channel, { json: true });

    const viaBin = await bin.waitMessages(5, channel);
    const viaText = await text.waitMessages(5, channel);
    const viaSse = await sse.waitMessages(5, channel);
    for (const got of [viaBin, viaText, viaSse]) {
      assert.deepEqual(
        got.slice(0, 4).map((m) => [m.offset, bytesOf(m)]),
        [...sent, sent[2]].map((b, i) => [i + 1, b]),
      );
      assert.deepEqual(got[4]!.data, { json: true });
    }
    assert.ok(
      viaBin
        .slice(0, 3)
        .every((m) => m.binary === true && m.channel === channel && m.epoch === r3.body.epoch),
    );
    assert.ok(viaText.every((m) => m.binary === undefined));
    assert.equal(viaBin[4]!.binary, undefined);

    // History over the API and over a history command keeps them as bytes.
    const history = await hub.api('history', { channel });
    assert.deepEqual(
      history.body.publications.slice(0, 3).map((p: Frame) => bytesOf(p)),
      sent,
    );
    const viaCommand = await bin.request({ type: 'history', channel });
    assert.deepEqual(
      viaCommand.publications.slice(0, 3).map((p: Frame) => bytesOf(p)),
      sent,
    );
    await Promise.all([bin.close(), text.close(), sse.close()]);
  });

  it('the HTTP API refuses malformed bytes with codes', async () => {
    const noChannel = await postBytes('', Buffer.from([1, 2]));
    assert.deepEqual([noChannel.status, (await noChannel.json()).error.code], [400, 'invalid_channel']);
    for (const body of [
      { channel: 'bytes:bad', data: 1, data_b64: 'AA==' },
      { channel: 'bytes:bad' },
      { channel: 'bytes:bad', data_b64: 'AA=' },
      { channel: 'bytes:bad', data_b64: 'A B=' },
      { channel: 'bytes:bad', data_b64: 7 },
    ]) {
      const r = await hub.api('publish', body);
      assert.deepEqual([r.status, r.body.error.code], [400, 'bad_request'], JSON.stringify(body));
    }
    const history = await hub.api('history', { channel: 'bytes:bad' });
    assert.deepEqual(history.body.publications, []);
  });

  for (const doc of ['README.md', 'docs/protocol.md']) {
    it(`${doc}'s curl command publishes a file as bytes`, async () => {
      const docs = readFileSync(new URL(`../../${doc}`, import.meta.url), 'utf8');
      // The docs tier leaves the block to this test (its info string says tested-by=tests/e2e/bytes.test.ts).
      const command =
        /```sh tested-by=tests\/e2e\/bytes\.test\.ts\n(curl [^`]*--data-binary @photo\.jpg[^`]*)```/.exec(
          docs,
        )?.[1];
      assert.ok(command !== undefined, `the command is in ${doc}`);
      const dir = mkdtempSync(join(tmpdir(), 'sb-bytes-'));
      const photo = bytesWithEveryValue(2_000);
      writeFileSync(join(dir, 'photo.jpg'), photo);
      const ws = await binaryWs(hub);
      await ws.request({ type: 'subscribe', channel: 'chat:lobby' });
      // Asynchronously: the hub answering curl runs in this process.
      const run = await execFileAsync('bash', ['-c', command.replaceAll('http://localhost:8080', hub.url)], {
        cwd: dir,
        env: { PATH: process.env.PATH, KEY: TEST_API_KEY },
        encoding: 'utf8',
      });
      rmSync(dir, { recursive: true });
      assert.equal(JSON.parse(run.stdout).channel, 'chat:lobby');
      const [m] = await ws.waitMessages(1, 'chat:lobby');
      assert.deepEqual(bytesOf(m!), photo);
      await ws.close();
    });
  }

  it('clients publish bytes as a WebSocket binary envelope and as data_b64 through the SSE command endpoint', async () => {
    const channel = 'bytes:clients';
    const watcher = await binaryWs(hub);
    await watcher.request({ type: 'subscribe', channel });
    const fromWs = bytesWithEveryValue(600);
    const fromSse = bytesWithEveryValue(300);

    // Any WebSocket connection may send binary frames; the reply is a JSON `published` frame.
    const publisher = await WsTestClient.connect(hub.wsUrl);
    const replied = publisher.next((f) => f.id === 9);
    publisher.ws.send(encodeEnvelope(JSON.stringify({ type: 'publish', id: 9, channel }), fromWs));
    const published = await replied;
    assert.equal(published.type, 'published');
    assert.equal(published.offset, 1);

    const stream = await SseTestClient.open(`${hub.url}/sse?channel=other`);
    const { frame: connected } = await stream.waitFor((e) => e.frame.type === 'connected');
    const res = await fetch(`${hub.url}/sse/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchboard-session': connected.session },
      body: JSON.stringify({ type: 'publish', id: 1, channel, data_b64: fromSse.toString('base64') }),
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).offset, 2);

    const got = await watcher.waitMessages(2, channel);
    assert.deepEqual(
      got.map((m) => bytesOf(m)),
      [fromWs, fromSse],
    );
    assert.deepEqual(got[0]!.info, { client: publisher.frames[0]!.client, user: null });
    await Promise.all([watcher.close(), publisher.close(), stream.close()]);
  });

  it('bad envelopes get coded errors, and the connection goes on', async () => {
    const c = await binaryWs(hub);
    const errors: Array<[Uint8Array, string]> = [
      [Uint8Array.from([0, 0]), 'bad_request'],
      [Uint8Array.from([0, 0, 0, 40, 123]), 'bad_request'],
      [encodeEnvelope('not json', Uint8Array.from([1])), 'invalid_json'],
      [encodeEnvelope('{"type":"subscribe","channel":"x"}', Uint8Array.from([1])), 'bad_request'],
      [encodeEnvelope('{"type":"publish","channel":"a b"}', Uint8Array.from([1])), 'invalid_channel'],
    ];
    for (const [frame, code] of errors) {
      const from = c.frames.length;
      c.ws.send(frame);
      const error = await c.next((f) => f.type === 'error', 5_000, from);
      assert.equal(error.code, code);
    }
    const pong = await c.request({ type: 'ping' });
    assert.equal(pong.type, 'pong');
    await c.close();
  });

  it('counts bytes against the size limit: at the limit is published, one byte over is refused, on every path', async () => {
    const channel = 'small:limit';
    const at = bytesWithEveryValue(LIMIT);
    const over = bytesWithEveryValue(LIMIT + 1);
    assert.equal((await postBytes(`?channel=${channel}`, at)).status, 200);
    const refused = await postBytes(`?channel=${channel}`, over);
    assert.equal(refused.status, 413);
    assert.equal((await refused.json()).error.code, 'payload_too_large');
    assert.equal((await hub.api('publish', { channel, data_b64: at.toString('base64') })).status, 200);
    const b64Over = await hub.api('publish', { channel, data_b64: over.toString('base64') });
    assert.deepEqual([b64Over.status, b64Over.body.error.code], [413, 'payload_too_large']);

    const c = await binaryWs(hub);
    await c.request({ type: 'subscribe', channel });
    for (const [bytes, expected] of [
      [at, 'published'],
      [over, 'payload_too_large'],
    ] as const) {
      const id = expected.length;
      const reply = c.next((f) => f.id === id, 5_000, c.frames.length);
      c.ws.send(encodeEnvelope(JSON.stringify({ type: 'publish', id, channel }), bytes));
      const f = await reply;
      assert.equal(f.type === 'error' ? f.code : f.type, expected);
    }
    const viaText = await c.request({ type: 'publish', channel, data_b64: over.toString('base64') });
    assert.equal(viaText.code, 'payload_too_large');
    const [m] = await c.waitMessages(1, channel);
    assert.deepEqual(bytesOf(m!), at);
    await c.close();
  });

  it('a resume gets the missed bytes, over WebSocket (binary frames) and SSE (Last-Event-ID)', async () => {
    const channel = 'bytes:resume';
    const first = bytesWithEveryValue(500);
    await postBytes(`?channel=${channel}`, first);
    const ws1 = await binaryWs(hub);
    const sub = await ws1.request({ type: 'subscribe', channel });
    const sse1 = await SseTestClient.open(`${hub.url}/sse?channel=${channel}`);
    await sse1.waitFor((e) => e.frame.type === 'subscribed');
    await Promise.all([ws1.close(), sse1.close()]);
    const cursor = sse1.lastEventId;

    const missed = [bytesWithEveryValue(256), bytesWithEveryValue(4_000)];
    for (const b of missed) await postBytes(`?channel=${channel}`, b);

    const ws2 = await binaryWs(hub);
    const resumed = await ws2.request({
      type: 'subscribe',
      channel,
      since: { epoch: sub.epoch, offset: sub.offset },
    });
    assert.equal(resumed.recovered, true);
    const sse2 = await SseTestClient.open(`${hub.url}/sse?channel=${channel}`, { 'last-event-id': cursor });
    for (const got of [await ws2.waitMessages(2, channel), await sse2.waitMessages(2, channel)])
      assert.deepEqual(
        got.map((m) => [m.offset, bytesOf(m)]),
        [
          [2, missed[0]],
          [3, missed[1]],
        ],
      );
    assert.ok(ws2.messages(channel).every((m) => m.binary === true));
    await Promise.all([ws2.close(), sse2.close()]);
  });

  it('a last-value channel starts a new subscriber with the latest bytes', async () => {
    const channel = 'last:state';
    const state = bytesWithEveryValue(700);
    await postBytes(`?channel=${channel}`, bytesWithEveryValue(300));
    await postBytes(`?channel=${channel}`, state);
    const ws = await binaryWs(hub);
    await ws.request({ type: 'subscribe', channel });
    const sse = await SseTestClient.open(`${hub.url}/sse?channel=${channel}`);
    for (const [m] of [await ws.waitMessages(1, channel), await sse.waitMessages(1, channel)])
      assert.deepEqual([m!.offset, bytesOf(m!)], [2, state]);
    await Promise.all([ws.close(), sse.close()]);
  });

  it('keyed conflation keeps bytes as bytes: a lagging subscriber gets the newest of them', async () => {
    const channel = 'keyed:x';
    const ws = await binaryWs(hub);
    await ws.request({ type: 'subscribe', channel });
    const sse = await SseTestClient.open(`${hub.url}/sse?channel=${channel}`);
    await sse.waitFor((e) => e.frame.type === 'subscribed');
    const payloads = [bytesWithEveryValue(300), bytesWithEveryValue(301), bytesWithEveryValue(302)];
    // The first goes out at once; at 2 deliveries a second the rest wait, conflated: bytes have no key field, so
    // they share one slot (the newest wins), next to each JSON key's own.
    await postBytes(`?channel=${channel}`, payloads[0]!);
    await hub.publish(channel, { k: 'a', v: 1 });
    await postBytes(`?channel=${channel}`, payloads[1]!);
    await hub.publish(channel, { k: 'a', v: 2 });
    await postBytes(`?channel=${channel}`, payloads[2]!);
    for (const client of [ws, sse]) {
      const got = await client.waitMessages(3, channel);
      await new Promise((r) => setTimeout(r, 700));
      const all = client.messages(channel);
      assert.deepEqual(
        all.map((m) => (m.data === undefined ? bytesOf(m) : m.data)),
        [payloads[0], { k: 'a', v: 2 }, payloads[2]],
        `got ${got.length}`,
      );
    }
    await Promise.all([ws.close(), sse.close()]);
  });

  it('bench/wire-bytes.ts: a binary frame carries the payload and a small header; base64 costs a third more', async () => {
    const { perMessage: b } = await measureWireBytes(hub.url, TEST_API_KEY, 20, 100);
    // The binary frame: 2 bytes of frame header, 4 of envelope length, the message header JSON, 100 bytes.
    assert.ok(b.wsBinary > 100 && b.wsBinary < 100 + 120, JSON.stringify(b));
    // base64: 136 characters for 100 bytes, in the same JSON as a 100-byte JSON payload.
    assert.ok(b.wsText - b.wsBinary > 30, JSON.stringify(b));
    // Against 100 bytes of JSON: 36 more characters of payload and 4 of field name, 5 fewer of channel name.
    assert.ok(b.wsText - b.wsJson > 25 && b.wsText - b.wsJson < 45, JSON.stringify(b));
    assert.ok(b.sse > b.wsText && b.sse - b.sseJson > 30, JSON.stringify(b));
  });

  for (const transport of ['websocket', 'sse'] as const) {
    it(`the client SDK sends and receives Uint8Array over ${transport}, history included`, async () => {
      const channel = `bytes:sdk-${transport}`;
      const client = new Client(hub.url, { transport });
      const sub = client.subscribe(channel);
      const received: unknown[] = [];
      sub.on('message', (m) => received.push(m.data));
      await new Promise<void>((resolve) => sub.on('subscribed', () => resolve()));
      const mine = new Uint8Array(bytesWithEveryValue(999));
      const theirs = bytesWithEveryValue(512);
      await sub.publish(mine);
      await postBytes(`?channel=${channel}`, theirs);
      await hub.publish(channel, 'text');
      const deadline = Date.now() + 5_000;
      while (received.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(received.length, 3);
      assert.ok(received[0] instanceof Uint8Array && received[1] instanceof Uint8Array);
      assert.deepEqual(Buffer.from(received[0] as Uint8Array), Buffer.from(mine));
      assert.deepEqual(Buffer.from(received[1] as Uint8Array), theirs);
      assert.equal(received[2], 'text');
      const history = await client.history(channel);
      const data = history.publications.map((p) => p.data);
      assert.ok(data[0] instanceof Uint8Array);
      assert.deepEqual(Buffer.from(data[1] as Uint8Array), theirs);
      client.disconnect();
    });

    it(`a channel's codec maps bytes to the app's type over ${transport}; a payload it refuses is an error event`, async () => {
      const channel = `bytes:codec-${transport}`;
      // A user codec: a point as two float64s over bytes (what MessagePack or protobuf would do, in 16 bytes).
      const point: Codec<{ x: number; y: number }> = {
        encode: ({ x, y }) => new Uint8Array(new Float64Array([x, y]).buffer),
        decode: (d) => {
          if (!(d instanceof Uint8Array) || d.length !== 16) throw new TypeError('not a point');
          const f = new Float64Array(d.slice().buffer);
          return { x: f[0]!, y: f[1]! };
        },
      };
      const client = new Client(hub.url, { transport });
      const sub = client.subscribe(channel, { codec: point });
      const got: unknown[] = [];
      const errors: string[] = [];
      sub.on('message', (m) => got.push(m.data));
      sub.on('error', (e) => errors.push(e.code));
      await sub.ready();
      await sub.publish({ x: 1.5, y: -2 });
      await hub.publish(channel, { not: 'bytes' });
      await sub.publish({ x: 3, y: 4 });
      const deadline = Date.now() + 5_000;
      while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(got, [
        { x: 1.5, y: -2 },
        { x: 3, y: 4 },
      ]);
      assert.deepEqual(errors, ['codec']);
      const raw = await hub.api('history', { channel });
      assert.equal(Buffer.from(raw.body.publications[0].data_b64, 'base64').length, 16);
      const bytes = client.subscribe(`${channel}-raw`, { codec: BYTES_CODEC });
      await bytes.ready();
      await assert.rejects(bytes.publish('text' as never), TypeError);
      client.disconnect();
    });
  }
});
