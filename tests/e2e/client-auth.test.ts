// The SDK against a hub that requires tokens: `getToken()` on both transports, the token in a header (never in
// a URL), live refresh before expiry on WebSocket, renewal after a 4006 on SSE — with no message lost or
// repeated across the renewals — and coded refusals for what the token does not allow.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import { Client, type Message, SwitchboardClientError } from '../../packages/client/src/index.ts';
import { type Front, startFront } from '../helpers/front.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { sign, TEST_SECRET } from '../helpers/jwt.ts';

const FAST = { backoff: { minDelayMs: 20, maxDelayMs: 200 }, tokenRefreshMarginMs: 500 } as const;

describe('client with tokens against a hub that requires them', () => {
  let hub: TestHub;
  let front: Front;
  before(async () => {
    hub = await startTestHub({ auth: { secret: TEST_SECRET, leewayMs: 0 } });
    front = await startFront(hub.port);
  });
  after(async () => {
    await front?.stop();
    await hub?.shutdown();
  });

  for (const kind of ['websocket', 'sse'] as const) {
    it(`over ${kind}: connects with getToken(), renews it as it expires, and loses nothing meanwhile`, async () => {
      let calls = 0;
      const getToken = async (): Promise<string> => {
        calls++;
        // Short-lived tokens, so the run crosses several expiries.
        return sign({ sub: `u-${kind}`, subscribe: ['t:*'] }, { expiresIn: 2 });
      };
      const client = new Client(front.url, { transport: kind, token: getToken, ...FAST });
      const channel = `t:renew-${kind}`;
      const got: number[] = [];
      client.subscribe<number>(channel).on('message', (m: Message<number>) => got.push(m.data));
      await until(
        () => client.getSubscription(channel)?.state === 'subscribed',
        () => `${client.getSubscription(channel)?.state}`,
      );
      // Publish across at least two expiries; the client must end with every value exactly once.
      const started = Date.now();
      let n = 0;
      while (Date.now() - started < 5_000) {
        n++;
        await hub.publish(channel, n);
        await new Promise((r) => setTimeout(r, 50));
      }
      await until(
        () => got.length >= n,
        () => `${got.length}/${n}`,
      );
      assert.deepEqual(
        got,
        Array.from({ length: n }, (_, i) => i + 1),
        'every publication once, in order, across token renewals',
      );
      assert.ok(calls >= 3, `getToken() was called again as tokens expired (${calls} calls)`);
      client.disconnect();
    });
  }

  it('over SSE: sends the token as an Authorization header (a fetch-based stream), never in the URL', async () => {
    const token = await sign({ sub: 'h', subscribe: ['t:*'] });
    const client = new Client(front.url, { transport: 'sse', token, ...FAST });
    const sub = client.subscribe('t:header');
    await until(
      () => sub.state === 'subscribed',
      () => sub.state,
    );
    const stream = front.requests.filter((r) => r.url.startsWith('/sse?')).at(-1)!;
    assert.equal(stream.headers.authorization, `Bearer ${token}`);
    assert.ok(!stream.url.includes(token));
    client.disconnect();
  });

  for (const kind of ['websocket', 'sse'] as const) {
    it(`over ${kind}: a call outside the token's permissions rejects with a coded error`, async () => {
      const token = await sign({ sub: 'p', subscribe: ['t:*'] });
      const client = new Client(front.url, { transport: kind, token, ...FAST });
      const sub = client.subscribe('t:allowed');
      await until(
        () => sub.state === 'subscribed',
        () => sub.state,
      );
      await assert.rejects(client.history('other:secret'), (err: unknown) => {
        assert.ok(err instanceof SwitchboardClientError);
        assert.equal(err.code, 'forbidden');
        return true;
      });
      await assert.rejects(client.publish('t:allowed', 1), (err: unknown) => {
        assert.ok(err instanceof SwitchboardClientError);
        assert.equal(err.code, 'forbidden', 'the token grants no publish');
        return true;
      });
      client.disconnect();
    });
  }
});
