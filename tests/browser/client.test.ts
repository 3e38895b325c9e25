// The SDK's browser bundle in real Chromium, over both transports (WebSocket; SSE with the native EventSource
// and, with a token, the fetch-based stream): subscribe, publish, history, presence; a proxy that resets every
// connection mid-stream; `auto` behind a proxy that refuses the upgrade.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchBrowser, openPage } from '../helpers/browser.ts';
import { buildClientBundles, clientPageFiles } from '../helpers/client-bundle.ts';
import { type Front, startFront } from '../helpers/front.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { sign, TEST_SECRET } from '../helpers/jwt.ts';

interface PageLog {
  offsets: number[];
  data: unknown[];
  subscribed: { recovered?: boolean }[];
  states: string[];
  transport: string | undefined;
}

/** Loads the bundle in the page and starts a client subscribed to `channel`, recording into `window.log`. */
async function startClient(page: Page, channel: string, options: Record<string, unknown>): Promise<void> {
  await page.evaluate(
    async ({ channel, options }) => {
      const sb = await import('/switchboard.js' as string);
      const log = {
        offsets: [] as number[],
        data: [] as unknown[],
        subscribed: [] as unknown[],
        states: [] as string[],
        transport: undefined as string | undefined,
      };
      const client = new sb.Client(location.origin, {
        backoff: { minDelayMs: 20, maxDelayMs: 200 },
        ...options,
      });
      client.on('state', (s: { to: string }) => log.states.push(s.to));
      client.on('connected', (c: { transport: string }) => {
        log.transport = c.transport;
      });
      const sub = client.subscribe(channel);
      sub.on('message', (m: { offset: number; data: unknown }) => {
        log.offsets.push(m.offset);
        log.data.push(m.data);
      });
      sub.on('subscribed', (e: unknown) => log.subscribed.push(e));
      Object.assign(window, { log, client, sub });
    },
    { channel, options },
  );
}

const log = (page: Page) => page.evaluate(() => (window as unknown as { log: PageLog }).log);

describe('the client bundle in Chromium', () => {
  let hub: TestHub;
  let front: Front;
  let browser: Browser;
  /** A real token for the fetch-based stream: the hub verifies it (anonymous clients are let in as well). */
  let token = '';

  before(async () => {
    browser = await launchBrowser();
    hub = await startTestHub({
      channel: { clientPublish: true },
      auth: { secret: TEST_SECRET, anonymous: true },
    });
    token = await sign({
      sub: 'page-user',
      subscribe: ['page-*'],
      publish: ['page-*'],
      presence: ['page-*'],
    });
    front = await startFront(hub.port, await clientPageFiles());
  });
  after(async () => {
    await browser?.close();
    await front?.stop();
    await hub?.shutdown();
  });

  it('the core bundle is browser-only code under its 10 KB gzipped budget', async () => {
    const b = await buildClientBundles();
    assert.ok(b.gzip.core < 10 * 1024, `core bundle is ${b.gzip.core} bytes gzipped`);
    for (const text of [b.core, b.shared, b.worker]) assert.doesNotMatch(text, /\bfrom ?["']node:|require\(/);
  });

  const cases = [
    { name: 'WebSocket', options: { transport: 'websocket' }, expect: 'websocket' },
    { name: 'SSE (native EventSource)', options: { transport: 'sse' }, expect: 'sse' },
    {
      name: 'SSE with a token (fetch-based stream)',
      options: { transport: 'sse', token: 'from before()' },
      expect: 'sse',
    },
  ] as const;

  for (const c of cases) {
    it(`${c.name}: subscribe, publish, history, presence, and resume across resets`, async () => {
      const channel = `page-${c.expect}-${'token' in c.options ? 't' : 'n'}`;
      const { page, problems } = await openPage(browser, `${front.url}/`);
      await startClient(page, channel, 'token' in c.options ? { ...c.options, token } : c.options);
      await eventually('subscribed', async () =>
        (await log(page)).subscribed.length > 0 ? true : undefined,
      );
      assert.equal((await log(page)).transport, c.expect);

      const published = await page.evaluate(async () => {
        const w = window as unknown as { sub: { publish(d: unknown): Promise<{ offset: number }> } };
        return (await w.sub.publish({ from: 'page' })).offset;
      });
      assert.equal(published, 1);
      for (let i = 2; i <= 40; i++) {
        await hub.publish(channel, i);
        if (i % 10 === 0) front.cut();
      }
      const got = await eventually(
        'every publication',
        async () => {
          const l = await log(page);
          return l.offsets.length >= 40 ? l : undefined;
        },
        { timeoutMs: 15_000, lastSeen: async () => (await log(page)).offsets },
      );
      assert.deepEqual(
        got.offsets,
        Array.from({ length: 40 }, (_, i) => i + 1),
        'each offset once, in order',
      );
      assert.deepEqual(got.data[0], { from: 'page' });
      assert.ok(got.subscribed.length >= 2, 'resubscribed after the resets');
      for (const s of got.subscribed.slice(1)) assert.equal(s.recovered, true);

      const calls = await page.evaluate(async () => {
        const w = window as unknown as { sub: any; client: any };
        const h = await w.sub.history({ limit: 3 });
        const p = await w.sub.presence();
        let code = '';
        try {
          await w.client.publish('bad channel', 1);
        } catch (e) {
          code = (e as { code: string }).code;
        }
        return {
          history: h.publications.map((x: { offset: number }) => x.offset),
          present: p.some((x: { client: string }) => x.client === w.client.id),
          code,
        };
      });
      assert.deepEqual(calls, { history: [38, 39, 40], present: true, code: 'invalid_channel' });
      // The connections the test cut show up in the console as failed ones; anything else is a problem.
      assert.deepEqual(
        problems.filter((p) => !/net::ERR|WebSocket connection to .* failed/.test(p)),
        [],
      );
      await page.context().close();
    });
  }

  it('with a native EventSource (whose heartbeats a page cannot see) silence is probed with ping, not taken for death', async () => {
    const quick = await startTestHub({ heartbeat: { intervalMs: 300, timeoutMs: 200 } });
    const qf = await startFront(quick.port, await clientPageFiles());
    try {
      const { page } = await openPage(browser, `${qf.url}/`);
      await startClient(page, 'quiet', { transport: 'sse', silenceFactor: 1, silenceGraceMs: 200 });
      await eventually('subscribed', async () =>
        (await log(page)).subscribed.length > 0 ? true : undefined,
      );
      const probes = () => qf.requests.filter((r) => r.method === 'POST' && r.url === '/sse/command').length;
      await eventually('three silence probes', async () => (probes() >= 3 ? true : undefined), {
        timeoutMs: 15_000,
      });
      const l = await log(page);
      assert.deepEqual(l.states, ['connected'], 'a quiet stream answering pings is kept');
      assert.equal(
        qf.requests.filter((r) => r.url.startsWith('/sse?')).length,
        1,
        'one stream, never replaced',
      );
      await page.context().close();
    } finally {
      await qf.stop();
      await quick.shutdown();
    }
  });

  it('auto falls back to SSE behind a proxy that refuses WebSocket upgrades, and says so', async () => {
    front.refuseUpgrades = true;
    try {
      const { page } = await openPage(browser, `${front.url}/`);
      await startClient(page, 'fallback', {});
      await eventually('subscribed', async () =>
        (await log(page)).subscribed.length > 0 ? true : undefined,
      );
      assert.equal((await log(page)).transport, 'sse');
      await hub.publish('fallback', 'x');
      await eventually('message', async () => ((await log(page)).offsets.length === 1 ? true : undefined));
      await page.context().close();
    } finally {
      front.refuseUpgrades = false;
    }
  });
});
