// POST /sse/command: an SSE stream's commands over HTTP, bound to the stream by the `session` secret of its
// `connected` frame, run through the same Session path as WebSocket commands, answered with the same frames.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { SseTestClient } from '../helpers/sse-client.ts';

describe('POST /sse/command', () => {
  let hub: TestHub;
  let stream: SseTestClient;
  let session: string;
  let client: string;

  const post = async (
    body: unknown,
    headers: Record<string, string> = { 'x-switchboard-session': session },
  ) => {
    const res = await fetch(`${hub.url}/sse/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, frame: (await res.json()) as Record<string, any> };
  };

  before(async () => {
    hub = await startTestHub({ channel: { clientPublish: true } });
    stream = await SseTestClient.open(`${hub.url}/sse?channel=room&channel=other`);
    const connected = await stream.waitFor((e) => e.event === 'connected');
    session = connected.frame.session;
    client = connected.frame.client;
    await stream.waitFor((e) => e.event === 'subscribed' && e.frame.channel === 'other');
  });
  after(async () => {
    await stream?.close();
    await hub?.shutdown();
  });

  it('the connected frame carries an unguessable session secret, one per stream', async () => {
    assert.match(session, /^[A-Za-z0-9_-]{24}$/);
    const secrets = new Set([session]);
    for (let i = 0; i < 3; i++) {
      const other = await SseTestClient.open(`${hub.url}/sse?channel=room`);
      secrets.add((await other.waitFor((e) => e.event === 'connected')).frame.session);
      await other.close();
    }
    assert.equal(secrets.size, 4, `secrets repeated: ${[...secrets].join(' ')}`);
  });

  it('publish answers `published` with the command id, and the stream delivers the publication', async () => {
    const { status, frame } = await post({ type: 'publish', id: 7, channel: 'room', data: { hi: 1 } });
    assert.equal(status, 200);
    assert.deepEqual(frame, { type: 'published', id: 7, channel: 'room', epoch: frame.epoch, offset: 1 });
    const message = await stream.waitFor((e) => e.frame.type === 'message');
    assert.deepEqual(message.frame.data, { hi: 1 });
    assert.equal(message.frame.info.client, client, 'published as this stream’s client');
    assert.equal(stream.frames('published').length, 0, 'the reply goes to the HTTP answer, not the stream');
  });

  it('history, presence and ping answer as over WebSocket; a command without id gets none back', async () => {
    const history = await post({ type: 'history', id: 'h', channel: 'room' });
    assert.equal(history.frame.type, 'history');
    assert.equal(history.frame.id, 'h');
    assert.deepEqual(
      history.frame.publications.map((p: any) => p.data),
      [{ hi: 1 }],
    );
    const presence = await post({ type: 'presence', id: 2, channel: 'room' });
    assert.ok(presence.frame.clients.some((c: any) => c.client === client));
    assert.deepEqual((await post({ type: 'ping', id: 3 })).frame, { type: 'pong', id: 3 });
    assert.deepEqual((await post({ type: 'ping' })).frame, { type: 'pong' });
  });

  it('errors are error frames with the code’s HTTP status', async () => {
    const bad = await post({ type: 'publish', id: 4, channel: 'no spaces', data: 1 });
    assert.equal(bad.status, 400);
    assert.equal(bad.frame.type, 'error');
    assert.equal(bad.frame.code, 'invalid_channel');
    assert.equal(bad.frame.id, 4);
    assert.equal((await post('{not json')).frame.code, 'invalid_json');
    assert.equal((await post({ type: 'nope', id: 1 })).status, 400);
    const sub = await post({ type: 'subscribe', id: 5, channel: 'x' });
    assert.equal(sub.status, 400);
    assert.equal(sub.frame.code, 'bad_request');
    assert.equal((await post({ type: 'unsubscribe', channel: 'room' })).frame.code, 'bad_request');
    const get = await fetch(`${hub.url}/sse/command`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
  });

  it('the same permission checks as WebSocket: publishing where clients may not is forbidden', async () => {
    const strict = await startTestHub();
    const s = await SseTestClient.open(`${strict.url}/sse?channel=room`);
    try {
      const secret = (await s.waitFor((e) => e.event === 'connected')).frame.session;
      const res = await fetch(`${strict.url}/sse/command`, {
        method: 'POST',
        headers: { 'x-switchboard-session': secret, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'publish', id: 1, channel: 'room', data: 1 }),
      });
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as any).code, 'forbidden');
    } finally {
      await s.close();
      await strict.shutdown();
    }
  });

  it('an unknown, missing or closed session is 404 not_found', async () => {
    const missing = await post({ type: 'ping', id: 1 }, {});
    assert.equal(missing.status, 404);
    assert.equal(missing.frame.code, 'not_found');
    assert.equal((await post({ type: 'ping' }, { 'x-switchboard-session': `${session}x` })).status, 404);
    const other = await SseTestClient.open(`${hub.url}/sse?channel=room`);
    const secret = (await other.waitFor((e) => e.event === 'connected')).frame.session;
    assert.equal((await post({ type: 'ping' }, { 'x-switchboard-session': secret })).status, 200);
    await other.close();
    const closed = await post({ type: 'ping', id: 9 }, { 'x-switchboard-session': secret });
    assert.equal(closed.status, 404);
    assert.equal(closed.frame.code, 'not_found');
  });

  it('an oversize body is refused with 413 and the stream goes on', async () => {
    const big = await post({ type: 'publish', channel: 'room', data: 'x'.repeat(200 * 1024) });
    assert.equal(big.status, 413);
    assert.equal(big.frame.code, 'payload_too_large');
    assert.equal((await post({ type: 'ping', id: 1 })).status, 200);
  });
});
