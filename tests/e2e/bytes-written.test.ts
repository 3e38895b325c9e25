// switchboard_bytes_written_total{transport}: the bytes the hub wrote to its client connections, by transport,
// counted where the transports write. Each count is checked against the bytes a raw client received; and
// switchboard_frames_written_total{transport}, the frames (WebSocket frames, SSE events) in them, against the
// frames and events it received.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until, untilAsync } from '@switchboard/test-helpers/wait';
import WebSocket from 'ws';
import { h2connect } from '../helpers/h2.ts';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';
import { metric } from '../helpers/metrics.ts';
import { APP } from '../helpers/pusher.ts';
import { SseTestClient } from '../helpers/sse-client.ts';

const NAME = 'switchboard_bytes_written_total';
const FRAMES = 'switchboard_frames_written_total';

/** A server-to-client WebSocket frame's size: unmasked header (2, 4 or 10 bytes) and payload. */
const frameBytes = (payload: number): number => payload + (payload < 126 ? 2 : payload < 65_536 ? 4 : 10);

/** A raw WebSocket client that adds up the frames it receives, header included. */
async function countingSocket(
  url: string,
  protocols: string[] = [],
): Promise<{ ws: WebSocket; bytes: () => number; frames: string[]; binaryFrames: () => number }> {
  const ws = new WebSocket(url, protocols);
  const frames: string[] = [];
  let bytes = 0;
  let binaryFrames = 0;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    bytes += frameBytes(data.length);
    if (isBinary) binaryFrames++;
    else frames.push(data.toString());
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, bytes: () => bytes, frames, binaryFrames: () => binaryFrames };
}

describe('switchboard_bytes_written_total', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ pusher: { apps: [APP] } });
  });
  after(() => hub.shutdown());

  it('counts every byte of WebSocket frames and SSE events, by transport', async () => {
    assert.equal(await metric(hub.url, NAME, { transport: 'ws' }), 0);
    assert.equal(await metric(hub.url, NAME, { transport: 'sse' }), 0);
    assert.equal(await metric(hub.url, NAME, { transport: 'pusher' }), 0);

    const ws = await countingSocket(hub.wsUrl);
    ws.ws.send(JSON.stringify({ type: 'subscribe', id: 1, channel: 'counted' }));
    const sse = await SseTestClient.open(`${hub.url}/sse?channel=counted`);
    await until(
      () => ws.frames.some((f) => f.includes('"subscribed"')) && sse.raw.includes('subscribed'),
      () => 'both subscribed',
    );
    for (let i = 0; i < 20; i++) await hub.publish('counted', { i, text: 'x'.repeat(i * 10) });
    await until(
      () => ws.frames.filter((f) => f.includes('"message"')).length === 20,
      () => 'the WebSocket messages',
    );
    await until(
      () => (sse.raw.match(/"type":"message"/g) ?? []).length === 20,
      () => 'the SSE messages',
    );

    assert.equal(await metric(hub.url, NAME, { transport: 'ws' }), ws.bytes());
    // The stream's opening `retry:` line goes out with the headers, before the transport exists.
    const opening = /^retry: \d+\n\n/.exec(sse.raw)?.[0] ?? '';
    assert.ok(opening.length > 0);
    assert.equal(
      await metric(hub.url, NAME, { transport: 'sse' }),
      Buffer.byteLength(sse.raw) - Buffer.byteLength(opening),
    );
    assert.equal(await metric(hub.url, NAME, { transport: 'pusher' }), 0);

    assert.equal(await metric(hub.url, FRAMES, { transport: 'ws' }), ws.frames.length);
    // Each event ends with a blank line; the opening `retry:` block is not the transport's.
    const events = sse.raw.slice(opening.length).split('\n\n').length - 1;
    assert.ok(events >= 22, `connected, subscribed and 20 messages at least, got ${events}`);
    assert.equal(await metric(hub.url, FRAMES, { transport: 'sse' }), events);
    assert.equal(await metric(hub.url, FRAMES, { transport: 'pusher' }), 0);
    ws.ws.close();
    await sse.close();
  });

  it('counts SSE over HTTP/2 (h2c) as sse: the DATA bytes of every stream, through the same writer', async () => {
    const before = await metric(hub.url, NAME, { transport: 'sse' });
    const session = await h2connect(hub.url);
    const one = await SseTestClient.openHttp2(session, '/sse?channel=counted-h2');
    const two = await SseTestClient.openHttp2(session, '/sse?channel=counted-h2&channel=counted-h2b');
    await until(
      () => one.frames('subscribed').length === 1 && two.frames('subscribed').length === 2,
      () => 'both HTTP/2 streams subscribed',
    );
    for (let i = 0; i < 10; i++) await hub.publish('counted-h2', { i, text: 'y'.repeat(i * 30) });
    await hub.publish('counted-h2b', { last: true });
    await until(
      () => one.messages().length === 10 && two.messages().length === 11,
      () => 'the HTTP/2 messages',
    );
    // Each stream's opening `retry:` line goes out with its headers, as over HTTP/1.1.
    const counted = (raw: string) => {
      const opening = /^retry: \d+\n\n/.exec(raw)?.[0] ?? '';
      assert.ok(opening.length > 0);
      return Buffer.byteLength(raw) - Buffer.byteLength(opening);
    };
    const expected = counted(one.raw) + counted(two.raw);
    assert.ok(expected > 0);
    assert.equal((await metric(hub.url, NAME, { transport: 'sse' })) - before, expected);
    session.destroy();
    await Promise.all([one.ended(), two.ended()]);
  });

  it('counts the Pusher dialect apart from the Switchboard WebSocket', async () => {
    const before = await metric(hub.url, NAME, { transport: 'ws' });
    const pusher = await countingSocket(`${hub.wsUrl.replace(/\/ws$/, '')}/app/${APP.key}?protocol=7`);
    await until(
      () => pusher.frames.some((f) => f.includes('pusher:connection_established')),
      () => 'connection_established',
    );
    await untilAsync(
      async () => (await metric(hub.url, NAME, { transport: 'pusher' })) === pusher.bytes(),
      () => 'the Pusher count',
    );
    assert.ok(pusher.bytes() > 0);
    assert.equal(await metric(hub.url, FRAMES, { transport: 'pusher' }), pusher.frames.length);
    assert.equal(await metric(hub.url, NAME, { transport: 'ws' }), before);
    pusher.ws.close();
  });

  it('counts binary frames (publications of bytes to a switchboard.binary WebSocket) as ws', async () => {
    const before = await metric(hub.url, NAME, { transport: 'ws' });
    const bin = await countingSocket(hub.wsUrl, ['switchboard.binary']);
    assert.equal(bin.ws.protocol, 'switchboard.binary');
    bin.ws.send(JSON.stringify({ type: 'subscribe', id: 1, channel: 'counted-bytes' }));
    await until(
      () => bin.frames.some((f) => f.includes('"subscribed"')),
      () => 'subscribed',
    );
    // Frames on both sides of the 126-byte and 64 KiB frame-header steps (the last one's envelope passes 65,535).
    for (const size of [1, 100, 200, 65_500]) {
      const r = await fetch(`${hub.url}/api/publish?channel=counted-bytes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/octet-stream' },
        body: new Uint8Array(size).fill(size % 251),
      });
      assert.equal(r.status, 200);
    }
    await until(
      () => bin.binaryFrames() === 4,
      () => `4 binary frames, got ${bin.binaryFrames()}`,
    );
    assert.ok(bin.bytes() > 65_536 + 500);
    await untilAsync(
      async () => (await metric(hub.url, NAME, { transport: 'ws' })) - before === bin.bytes(),
      () => 'the ws count includes the binary frames',
    );
    bin.ws.close();
  });
});
