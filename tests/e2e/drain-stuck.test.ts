// Lesser gaps of the second hardening pass, about shutdown: clients that never read cannot hold a drain for the
// whole `server.shutdownTimeout` (a connection sent its close is cut after a short grace when it takes nothing),
// and while the hub drains it still answers: /readyz with 503, new upgrades and streams with 503 shutting_down.
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { describe, it } from 'node:test';
import { startTestHub } from '../helpers/hub.ts';
import { SlowReader } from '../helpers/slow-reader.ts';
import { tryUpgrade } from '../helpers/upgrade.ts';

/** GET on a connection of its own (the keep-alive ones are closed when the drain starts). */
function freshGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('a drain with stuck readers', () => {
  it('answers 503 on /readyz while draining, and cuts readers that take nothing well before shutdownTimeout', async () => {
    const hub = await startTestHub({
      server: { shutdownTimeoutMs: 20_000 },
      limits: { maxOutgoingBytes: 64 * 1024 * 1024 },
    });
    const ws = await SlowReader.websocket(hub.url, [{ type: 'subscribe', channel: 'stuck', id: 1 }]);
    const sse = await SlowReader.sse(hub.url, '/sse?channel=stuck', 1);
    ws.pause();
    sse.pause();
    // More than the loopback buffers take: a backlog stays queued in the hub for both readers.
    const filler = 'z'.repeat(60 * 1024);
    for (let i = 0; i < 150; i++) await hub.publish('stuck', { i, filler });
    const started = Date.now();
    const stopped = hub.shutdown();
    const ready = await freshGet(`${hub.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal((JSON.parse(ready.body) as { status: string }).status, 'draining');
    const upgrade = await tryUpgrade(hub.wsUrl);
    assert.equal(upgrade.status, 503);
    assert.equal(JSON.parse(upgrade.body).error.code, 'shutting_down');
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 10_000).unref())]);
    const took = Date.now() - started;
    // Cut after a grace of 1 s without progress (twice at most), not after the 20 s shutdown timeout.
    assert.ok(took < 8_000, `the drain took ${took} ms`);
    ws.close();
    sse.close();
  });
});
