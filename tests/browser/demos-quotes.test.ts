// The quotes demo in Chromium, two viewers (WebSocket and SSE) on a real hub: the page shows how many updates
// were published against how many it received (the conflation), and once the feed pauses every one of the 500
// prices on the page is the last one published.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningDemos } from '../../demos/launcher.ts';
import { eventually, launchBrowser, openPage } from '../helpers/browser.ts';
import { startTestDemos } from '../helpers/demos.ts';

interface Snapshot {
  paused: boolean;
  inFlight: number;
  published: number;
  quotes: { symbol: string; price: number }[];
}

describe('demo: quotes', () => {
  let browser: Browser;
  let demos: RunningDemos;

  before(async () => {
    browser = await launchBrowser();
    // A fifth of the demo's rate: still four times the per-subscriber cap (250/s), so conflation shows, at a
    // cost the shared test machine can carry.
    demos = await startTestDemos(['quotes'], { DEMO_QUOTES_RATE: '1000' });
  });
  after(async () => {
    await browser?.close();
    await demos?.stop();
  });

  const snapshot = async () =>
    (await (await fetch(`${demos.url}/demos/quotes/api/snapshot`)).json()) as Snapshot;
  const pricesOn = (page: Page) =>
    page.$$eval('#board .q', (els) =>
      Object.fromEntries(
        els.map((e) => [(e as HTMLElement).dataset.symbol, Number((e as HTMLElement).dataset.price)]),
      ),
    );
  const num = async (page: Page, id: string) => Number(await page.textContent(`#${id}`));

  it('shows conflation counts, and the last published prices once the feed stops', async () => {
    const viewers = [];
    for (const transport of ['websocket', 'sse']) {
      const opened = await openPage(browser, `${demos.url}/demos/quotes/?transport=${transport}`);
      await eventually(
        'the board',
        async () => ((await opened.page.getAttribute('body', 'data-ready')) === 'true' ? true : undefined),
        { timeoutMs: 15_000 },
      );
      viewers.push(opened);
    }
    for (const { page } of viewers) {
      assert.equal((await page.$$('#board .q')).length, 500);
      // More published than received: the hub conflated. Both counters move.
      await eventually(
        'conflation on the counters',
        async () => {
          const pub = await num(page, 'pub-total');
          const recv = await num(page, 'recv-total');
          return recv > 0 && pub > recv && (await num(page, 'conflated')) === pub - recv ? true : undefined;
        },
        {
          timeoutMs: 20_000,
          lastSeen: async () => [await num(page, 'pub-total'), await num(page, 'recv-total')],
        },
      );
    }

    await fetch(`${demos.url}/demos/quotes/api/pause`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"paused":true}',
    });
    const last = await eventually('the feed paused, nothing in flight', async () => {
      const s = await snapshot();
      return s.paused && s.inFlight === 0 ? s : undefined;
    });
    const expected = Object.fromEntries(last.quotes.map((q) => [q.symbol, q.price]));
    for (const { page, problems } of viewers) {
      // The rate cap releases the held symbols at 250/s: 500 symbols within seconds.
      await eventually(
        'every price on the page is the last published',
        async () => {
          const shown = await pricesOn(page);
          return Object.entries(expected).every(([s, p]) => shown[s] === p) ? true : undefined;
        },
        {
          timeoutMs: 20_000,
          lastSeen: async () => {
            const shown = await pricesOn(page);
            return Object.entries(expected)
              .filter(([s, p]) => shown[s] !== p)
              .slice(0, 5);
          },
        },
      );
      assert.deepEqual(problems, []);
    }
    await fetch(`${demos.url}/demos/quotes/api/pause`, { method: 'POST', body: '{"paused":false}' });
  });
});
