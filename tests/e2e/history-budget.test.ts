// Finding 5 of the second hardening pass: history amplification. A 60-byte `history` command can ask for 100 x 64 KB;
// each connection now reads history within a byte budget a second (`limits.historyReadRate`, and a smaller
// `limits.anonymousHistoryReadRate`), which resuming subscriptions and SSE catch-up spend too.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeCursor } from '@switchboard/protocol';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { sign, TEST_SECRET } from '../helpers/jwt.ts';
import { metric } from '../helpers/metrics.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const KB = 1024;
const ANONYMOUS_RATE = 256 * KB;
const RATE = 3_584 * KB;
const PUBLICATIONS = 100;
/** About 60 KB of payload each: a full history read is about 6 MB. */
const payload = (i: number) => ({ i, filler: 'h'.repeat(60 * KB) });

describe('the history read budget', () => {
  let hub: TestHub;
  let epoch = '';
  before(async () => {
    hub = await startTestHub({
      auth: { secret: TEST_SECRET, anonymous: true },
      limits: { anonymousHistoryReadRate: ANONYMOUS_RATE, historyReadRate: RATE, maxHistoryLimit: 1_000 },
      channel: { history: { size: PUBLICATIONS } },
    });
    for (let i = 1; i <= PUBLICATIONS; i++) epoch = (await hub.publish('big', payload(i))).epoch;
  });
  after(async () => {
    await hub?.shutdown();
  });

  it('serves an anonymous connection one full read, then refuses until the budget is paid back', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    let bytes = 0;
    const codes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const reply = await c.request({ type: 'history', channel: 'big', limit: PUBLICATIONS });
      codes.push(reply.type === 'history' ? 'history' : reply.code);
      if (reply.type === 'history') bytes += JSON.stringify(reply.publications).length;
    }
    // Without a budget all ten are served: about 60 MB for 600 bytes of commands.
    assert.deepEqual(codes, ['history', ...Array(9).fill('too_many_requests')]);
    assert.ok(bytes < 7 * 1024 * KB, `${bytes} bytes read`);
    // A resume reads history too: refused while the budget is in debt, before anything is read.
    const resume = await c.request({ type: 'subscribe', channel: 'big', since: { epoch, offset: 0 } });
    assert.equal(resume.code, 'too_many_requests');
    // Still a working connection: a plain subscribe reads nothing and goes live.
    assert.equal((await c.request({ type: 'subscribe', channel: 'big' })).type, 'subscribed');
    assert.ok((await metric(hub.url, 'switchboard_rate_limited_total', { limit: 'history' })) >= 10);
    await c.close();
  });

  it('counts reads sent together one after another: the second waits for the first and is refused', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    // Five commands in one go: without reads taken in turn, all five pass the check before the first is counted.
    for (let i = 1; i <= 5; i++) c.send({ type: 'history', id: i, channel: 'big', limit: PUBLICATIONS });
    const replies = await Promise.all(
      [1, 2, 3, 4, 5].map((id) => c.next((f) => f.id === id && (f.type === 'history' || f.type === 'error'))),
    );
    assert.deepEqual(
      replies.map((r) => (r.type === 'history' ? 'history' : r.code)),
      ['history', ...Array(4).fill('too_many_requests')],
    );
    await c.close();
  });

  // The authenticated burst (7 MB) holds one full read (about 6 MB) with room to spare, so with no time passing an
  // authenticated connection may read twice; its rate (3.5 MB/s) is low enough that a connection left with the
  // anonymous allowance (512 KB) would owe its first read for about 1.5 s. So these pass however fast or slow the
  // machine is, and would fail if authenticating did not grow the allowance (unless a read took over 1.5 s).
  it('gives a connection that authenticates its own, larger budget at once', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    assert.equal(
      (await c.request({ type: 'auth', token: await sign({ sub: 'reader', subscribe: ['*'] }) })).type,
      'authed',
    );
    for (let i = 0; i < 2; i++) {
      const reply = await c.request({ type: 'history', channel: 'big', limit: PUBLICATIONS });
      assert.equal(reply.type, 'history', `read ${i}: ${reply.code}`);
      assert.equal(reply.publications.length, PUBLICATIONS);
    }
    await c.close();
  });

  it('lets a connection in debt as an anonymous one read again once it authenticates', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    assert.equal((await c.request({ type: 'history', channel: 'big', limit: PUBLICATIONS })).type, 'history');
    assert.equal((await c.request({ type: 'history', channel: 'big', limit: 1 })).code, 'too_many_requests');
    assert.equal(
      (await c.request({ type: 'auth', token: await sign({ sub: 'reader', subscribe: ['*'] }) })).type,
      'authed',
    );
    const reply = await c.request({ type: 'history', channel: 'big', limit: PUBLICATIONS });
    assert.equal(reply.type, 'history', reply.code);
    assert.equal(reply.publications.length, PUBLICATIONS);
    await c.close();
  });

  it('recovers a resume within the budget, and counts it: the next read waits', async () => {
    const c = await WsTestClient.connect(hub.wsUrl);
    const sub = await c.request({ type: 'subscribe', channel: 'big', since: { epoch, offset: 0 } });
    assert.equal(sub.type, 'subscribed');
    assert.equal(sub.recovered, true);
    await c.waitMessages(PUBLICATIONS, 'big');
    assert.equal((await c.request({ type: 'history', channel: 'big', limit: 1 })).code, 'too_many_requests');
    await c.close();
  });

  it('counts SSE catch-up against the stream: its commands then wait', async () => {
    const since = encodeCursor(['big'], [{ epoch, offset: 0 }]);
    const stream = await SseTestClient.open(`${hub.url}/sse?channel=big&since=${since}`);
    await stream.waitMessages(PUBLICATIONS, 'big', 15_000);
    const connected = stream.frames('connected')[0]!;
    const res = await fetch(`${hub.url}/sse/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchboard-session': String(connected.session) },
      body: JSON.stringify({ type: 'history', channel: 'big', limit: 1 }),
    });
    assert.equal(res.status, 429);
    assert.equal(((await res.json()) as { code: string }).code, 'too_many_requests');
    await stream.close();
  });
});
