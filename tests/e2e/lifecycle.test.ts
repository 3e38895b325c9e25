import assert from 'node:assert/strict';
import { type IncomingMessage, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { until, untilAsync } from '@switchboard/test-helpers/wait';
import WebSocket from 'ws';
import { startTestHub } from '../helpers/hub.ts';
import { metric } from '../helpers/metrics.ts';
import { SlowReader } from '../helpers/slow-reader.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

/** A WebSocket client on a raw socket that subscribes and then never reads again. */
async function stuckWsReader(port: number, channel: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  const payload = Buffer.from(JSON.stringify({ type: 'subscribe', channel }));
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  const subscribed = new Promise<void>((resolve) => {
    let seen = '';
    const onData = (d: Buffer): void => {
      seen += d.toString('latin1');
      if (!seen.includes('"type":"subscribed"')) return;
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
  });
  socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
  await subscribed;
  socket.pause(); // stop reading: the kernel buffers fill, then the hub's outgoing buffer
  return socket;
}

describe('lifecycle and limits', () => {
  it('on shutdown tells WebSocket clients to reconnect (4000) and SSE clients with a retry hint', async () => {
    const hub = await startTestHub();
    const ws = await WsTestClient.connect(hub.wsUrl);
    const sse = await SseTestClient.open(`${hub.url}/sse?channel=a`);
    await sse.waitFor((e) => e.event === 'subscribed');
    await hub.shutdown();
    await ws.closed();
    assert.equal(ws.closeCode, 4000);
    assert.deepEqual(ws.frames.at(-1), {
      type: 'disconnect',
      code: 4000,
      reason: 'shutdown',
      reconnect: true,
    });
    await sse.ended();
    assert.deepEqual(sse.frames('disconnect')[0], {
      type: 'disconnect',
      code: 4000,
      reason: 'shutdown',
      reconnect: true,
    });
    assert.ok(sse.retry! >= 2000 && sse.retry! < 6000);
    await assert.rejects(fetch(`${hub.url}/healthz`));
  });

  it('drops a peer that stops answering heartbeats, and keeps one that answers', async () => {
    const hub = await startTestHub({ heartbeat: { intervalMs: 100, timeoutMs: 80 } });
    try {
      const silent = new WebSocket(hub.wsUrl, { autoPong: false });
      const silentClosed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
      const healthy = await WsTestClient.connect(hub.wsUrl);
      const code = await silentClosed;
      assert.equal(code, 1006); // terminated: the hub does not wait for a close handshake from a dead peer
      // No close frame says why: the hub's count does.
      assert.equal(
        await metric(hub.url, 'switchboard_disconnects_total', { reason: 'heartbeat_timeout' }),
        1,
      );
      await new Promise((r) => setTimeout(r, 300));
      const pong = await healthy.request({ type: 'ping' });
      assert.equal(pong.type, 'pong');
      assert.ok(
        healthy.frames.some((f) => f.type === 'ping'),
        'the healthy client saw ping frames',
      );
      await healthy.close();
    } finally {
      await hub.shutdown();
    }
  });

  it('disconnects a stuck reader (WebSocket and SSE) without hurting a fast one', async () => {
    const hub = await startTestHub({ limits: { maxOutgoingBytes: 64 * 1024, maxOutgoingMs: 200 } });
    try {
      const fast = await WsTestClient.connect(hub.wsUrl);
      await fast.request({ type: 'subscribe', channel: 'hot' });
      const stuckWs = await stuckWsReader(hub.port, 'hot');
      const stuckWsClosed = new Promise<void>((resolve) => stuckWs.on('close', () => resolve()));
      let stuckSse: IncomingMessage | undefined;
      const stuckSseClosed = new Promise<void>((resolve) => {
        const req = request(`${hub.url}/sse?channel=hot`, (res) => {
          stuckSse = res;
          res.once('data', () => res.pause());
          res.on('close', () => resolve());
        });
        req.on('error', () => resolve());
        req.end();
      });
      await until(
        () => hub.node.connectionCount === 3 && stuckSse !== undefined,
        () =>
          `${hub.node.connectionCount} connections, SSE stream ${stuckSse === undefined ? 'not ' : ''}open`,
      );
      const payload = 'x'.repeat(16 * 1024);
      const total = 600; // ~10 MB: far past the kernel's socket buffers and the 64 KiB limit
      for (let i = 0; i < total; i++) await hub.publish('hot', { i, payload });
      // The hub dropped both stuck readers; a paused socket only notices once it reads again.
      const deadline = Date.now() + 10_000;
      while (hub.node.connectionCount > 1 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(hub.node.connectionCount, 1);
      stuckWs.resume();
      stuckSse?.resume();
      await stuckWsClosed;
      await stuckSseClosed;
      const got = await fast.waitMessages(total, 'hot', 20_000);
      assert.deepEqual(
        got.map((m) => m.data.i),
        Array.from({ length: total }, (_, i) => i),
      );
      assert.equal(hub.node.connectionCount, 1);
      await fast.close();
    } finally {
      await hub.shutdown();
    }
  });

  it('cuts a reader stuck on a quiet channel at a heartbeat: over the outgoing limit, with nothing more published', async () => {
    // SSE: a paused WebSocket reader would be dropped for not answering pings first; an SSE stream has only
    // the outgoing bound. Publications stop as soon as the hub holds more than the limit (but less than twice
    // it, which would cut at once): from then on only the heartbeat writes to it and looks at its buffer.
    const limits = { maxOutgoingBytes: 64 * 1024, maxOutgoingMs: 100 };
    const heartbeat = { intervalMs: 300, timeoutMs: 200 };
    const hub = await startTestHub({ limits, heartbeat });
    try {
      const reader = await SlowReader.sse(hub.url, '/sse?channel=quiet', 1);
      reader.pause();
      const payload = 'x'.repeat(16 * 1024);
      let held = 0;
      let published = 0;
      while (held <= limits.maxOutgoingBytes) {
        assert.ok(published < 2_000, `the hub held only ${held} bytes after ${published} publications`);
        await hub.publish('quiet', { i: published++, payload });
        held = await metric(hub.url, 'switchboard_outgoing_bytes');
      }
      assert.ok(
        held < 2 * limits.maxOutgoingBytes,
        `over twice the limit at once (${held} B): not the timed rule`,
      );
      assert.equal(await metric(hub.url, 'switchboard_disconnects_total', { reason: 'slow_consumer' }), 0);
      // The next beat after maxOutgoingMs sees it; a beat reaches each stream once per interval.
      await untilAsync(
        async () =>
          (await metric(hub.url, 'switchboard_disconnects_total', { reason: 'slow_consumer' })) === 1,
        () =>
          `no slow_consumer disconnect ${limits.maxOutgoingMs + 2 * heartbeat.intervalMs + 2_000} ms after the last publication (${held} B held)`,
        limits.maxOutgoingMs + 2 * heartbeat.intervalMs + 2_000,
      );
      assert.equal(hub.node.connectionCount, 0);
      reader.resume();
      await reader.closed();
    } finally {
      await hub.shutdown();
    }
  });

  it('refuses connections past the limit before upgrading or streaming', async () => {
    const hub = await startTestHub({ server: { maxConnections: 2 } });
    try {
      const a = await WsTestClient.connect(hub.wsUrl);
      const b = await SseTestClient.open(`${hub.url}/sse?channel=x`);
      await b.waitFor((e) => e.event === 'connected');
      await assert.rejects(WsTestClient.connect(hub.wsUrl), /Unexpected server response: 503/);
      const r = await fetch(`${hub.url}/sse?channel=x`);
      assert.equal(r.status, 503);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'too_many_connections');
      assert.equal(r.headers.get('retry-after'), '5');
      await a.close();
      await b.close();
    } finally {
      await hub.shutdown();
    }
  });
});
