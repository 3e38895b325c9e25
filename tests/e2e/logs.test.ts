// Log lines about requests carry the request id (the caller's X-Request-Id when it is safe, else a new one, sent
// back in the response), and a flood of identical refusals is one line plus one count, not a line each.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { DEFAULTS } from '../../packages/server/src/config/defaults.ts';
import { loggerOptions } from '../../packages/server/src/observability/logger.ts';
import { type RunningServer, startServer } from '../../packages/server/src/server.ts';

describe('request ids and refusal logs', () => {
  let hub: RunningServer;
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });

  before(async () => {
    hub = await startServer(
      {
        ...DEFAULTS,
        server: { ...DEFAULTS.server, host: '127.0.0.1', port: 0 },
        api: { ...DEFAULTS.api, keys: ['logs-key-0123456789'] },
      },
      { logger: pino(loggerOptions('info'), sink) },
    );
  });
  after(() => hub.shutdown());

  it('answers with the request id it was given, or a new one', async () => {
    const given = await fetch(`${hub.url}/healthz`, { headers: { 'x-request-id': 'lb-7f3a.1' } });
    assert.equal(given.headers.get('x-request-id'), 'lb-7f3a.1');
    const unsafe = await fetch(`${hub.url}/healthz`, { headers: { 'x-request-id': 'x'.repeat(65) } });
    assert.match(unsafe.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('logs the first of 200 identical refusals with its request id, and the rest as one count', async () => {
    const before = lines.length;
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${hub.url}/api/publish`, {
        method: 'POST',
        headers: { authorization: 'Bearer wrong-key-0123456789', 'x-request-id': `flood-${i}` },
        body: '{}',
      });
      assert.equal(res.status, 401);
      ids.push(res.headers.get('x-request-id')!);
      await res.body?.cancel();
    }
    assert.equal(ids[0], 'flood-0');
    // Closing the server closes the window (as its timer would, 10 s later).
    await hub.shutdown();
    const deadline = Date.now() + 5_000;
    while (!lines.some((l) => l.msg === 'request refused again') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const refused = lines.slice(before).filter((l) => String(l.msg).startsWith('request refused'));
    assert.deepEqual(refused, [
      { ...refused[0], msg: 'request refused', kind: '401 POST /api/publish', req: 'flood-0' },
      {
        ...refused[1],
        msg: 'request refused again',
        kind: '401 POST /api/publish',
        repeats: 199,
        windowMs: 10_000,
      },
    ]);
    assert.equal(refused.length, 2);
  });
});
