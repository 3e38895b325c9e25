// One hub connection shared by the tabs of an origin: ten pages of one browser context use ONE connection (the
// hub's own /metrics count it), with a SharedWorker and with a leader tab elected through Web Locks; closing the
// leader tab while publications keep coming hands the connection over, and every remaining tab sees every
// offset exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually, launchBrowser } from '../helpers/browser.ts';
import { clientPageFiles } from '../helpers/client-bundle.ts';
import { type Front, hubConnections, startFront } from '../helpers/front.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

const TABS = 10;

interface TabLog {
  offsets: number[];
  state: string;
  sub: string;
  transport: string | undefined;
}

async function openTab(
  context: BrowserContext,
  url: string,
  channel: string,
  share: Record<string, unknown>,
  options: Record<string, unknown> = {},
): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${url}/`);
  await page.evaluate(
    async ({ channel, share, options }) => {
      const sb = await import('/switchboard-shared.js' as string);
      const log = {
        offsets: [] as number[],
        state: 'disconnected',
        sub: 'unsubscribed',
        transport: undefined as string | undefined,
      };
      const client = sb.createSharedClient(location.origin, { ...options, share });
      client.on('state', (s: { to: string }) => {
        log.state = s.to;
      });
      client.on('connected', (c: { transport: string }) => {
        log.transport = c.transport;
      });
      const sub = client.subscribe(channel);
      sub.on('message', (m: { offset: number }) => log.offsets.push(m.offset));
      sub.on('state', (st: { to: string }) => {
        log.sub = st.to;
      });
      Object.assign(window, { log, client });
    },
    { channel, share, options },
  );
  return page;
}

const tabLog = (page: Page) => page.evaluate(() => (window as unknown as { log: TabLog }).log);
/** The hub's id of the connection the tab's client goes through (the relay's, shared by every tab). */
const hubClientId = (page: Page) =>
  page.evaluate(() => (window as unknown as { client: { id?: string } }).client.id);

describe('one connection shared across tabs', () => {
  let hub: TestHub;
  let front: Front;
  let browser: Browser;

  before(async () => {
    browser = await launchBrowser();
    hub = await startTestHub({ channel: { history: { size: 1_000 } } });
    front = await startFront(hub.port, await clientPageFiles());
  });
  after(async () => {
    await browser?.close();
    await front?.stop();
    await hub?.shutdown();
  });

  async function tenTabsShareOne(
    share: Record<string, unknown>,
    options: Record<string, unknown>,
    channel: string,
  ): Promise<{ context: BrowserContext; pages: Page[] }> {
    // Connections of an earlier test's closed pages may still be going away.
    await eventually(
      'no connection left',
      async () => ((await hubConnections(hub.url)) === 0 ? true : undefined),
      {
        timeoutMs: 15_000,
      },
    );
    const context = await browser.newContext();
    const pages: Page[] = [];
    // The first tab is opened alone, so that in leader mode it is the one elected.
    pages.push(await openTab(context, front.url, channel, share, options));
    await eventually(
      'the first tab connected',
      async () => ((await tabLog(pages[0]!)).state === 'connected' ? true : undefined),
      { timeoutMs: 15_000 },
    );
    for (let i = 1; i < TABS; i++) pages.push(await openTab(context, front.url, channel, share, options));
    await eventually(
      'every tab connected and subscribed',
      async () => {
        for (const p of pages) {
          const l = await tabLog(p);
          if (l.state !== 'connected' || l.sub !== 'subscribed') return undefined;
        }
        return true;
      },
      { timeoutMs: 15_000 },
    );
    // Every tab subscribed: a publication reaches all ten.
    const first = await hub.publish(channel, 'hello');
    await eventually(
      'the first publication in every tab',
      async () => {
        for (const p of pages) if (!(await tabLog(p)).offsets.includes(first.offset)) return undefined;
        return true;
      },
      { timeoutMs: 15_000 },
    );
    assert.equal(await hubConnections(hub.url), 1, 'ten tabs, one hub connection');
    return { context, pages };
  }

  it('with a SharedWorker: ten tabs, one hub connection', async () => {
    const { context, pages } = await tenTabsShareOne(
      { mode: 'worker', worker: '/switchboard-worker.js' },
      {},
      'worker-tabs',
    );
    assert.equal((await tabLog(pages[3]!)).transport, 'websocket');
    await context.close();
    await eventually(
      'the worker’s connection closed',
      async () => ((await hubConnections(hub.url)) === 0 ? true : undefined),
      { timeoutMs: 15_000 },
    );
  });

  for (const transport of ['websocket', 'sse'] as const) {
    it(`with a leader tab (Web Locks + BroadcastChannel) over ${transport}: ten tabs, one connection, a lossless handover`, async () => {
      const channel = `leader-tabs-${transport}`;
      const { context, pages } = await tenTabsShareOne({ mode: 'leader' }, { transport }, channel);
      assert.equal((await tabLog(pages[4]!)).transport, transport);
      const total = 200;
      let published = 1;
      const publishing = (async () => {
        while (published < total) {
          await hub.publish(channel, published + 1);
          published++;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await eventually('publications under way', async () => (published >= 40 ? true : undefined), {
        timeoutMs: 15_000,
      });
      const before = await hubClientId(pages[0]!);
      assert.equal(await hubClientId(pages[5]!), before, 'every tab goes through the same hub connection');
      const leader = pages.shift()!;
      await leader.close();
      assert.ok(published < total, 'the leader closed while publications kept coming');
      await publishing;
      const expected = Array.from({ length: total }, (_, i) => i + 1);
      await eventually(
        'every offset in every remaining tab',
        async () => {
          for (const p of pages) if ((await tabLog(p)).offsets.length < total) return undefined;
          return true;
        },
        {
          timeoutMs: 20_000,
          lastSeen: async () => Promise.all(pages.map(async (p) => (await tabLog(p)).offsets.length)),
        },
      );
      for (const [i, p] of pages.entries()) {
        assert.deepEqual(
          (await tabLog(p)).offsets,
          expected,
          `tab ${i + 2}: every offset exactly once, in order`,
        );
      }
      await eventually(
        'one connection again',
        async () => ((await hubConnections(hub.url)) === 1 ? true : undefined),
        {
          timeoutMs: 10_000,
        },
      );
      const after = await hubClientId(pages[0]!);
      assert.notEqual(after, before, 'a new leader opened a new hub connection');
      for (const p of pages) assert.equal(await hubClientId(p), after);
      await context.close();
    });
  }
});
