// The location demo in Chromium, two viewers (WebSocket and SSE) on a real hub: after the page's main thread
// stalls (nothing read for 3 s) while the vehicles move, the map shows where each vehicle is now.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningDemos } from '../../demos/launcher.ts';
import { eventually, launchBrowser, openPage } from '../helpers/browser.ts';
import { startTestDemos } from '../helpers/demos.ts';

interface Positions {
  paused: boolean;
  inFlight: number;
  vehicles: { vehicle: string; x: number; y: number; seq: number }[];
}

describe('demo: location', () => {
  let browser: Browser;
  let demos: RunningDemos;

  before(async () => {
    browser = await launchBrowser();
    demos = await startTestDemos(['location']);
  });
  after(async () => {
    await browser?.close();
    await demos?.stop();
  });

  const positions = async () =>
    (await (await fetch(`${demos.url}/demos/location/api/positions`)).json()) as Positions;
  const shown = (page: Page) =>
    page.$$eval('g[data-vehicle]', (gs) =>
      Object.fromEntries(
        gs.map((g) => [
          (g as SVGGElement).dataset.vehicle,
          { x: Number((g as SVGGElement).dataset.x), y: Number((g as SVGGElement).dataset.y) },
        ]),
      ),
    );
  const pause = (paused: boolean) =>
    fetch(`${demos.url}/demos/location/api/pause`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paused }),
    });

  it('shows current positions after a stall', async () => {
    const viewers = [];
    for (const transport of ['websocket', 'sse']) {
      const opened = await openPage(browser, `${demos.url}/demos/location/?transport=${transport}`);
      await eventually(
        'the map',
        async () => ((await opened.page.getAttribute('body', 'data-ready')) === 'true' ? true : undefined),
        { timeoutMs: 15_000 },
      );
      viewers.push(opened);
    }
    const before = await positions();
    // Both pages stall; the vehicles go on moving until the stall is well under way, then stop.
    for (const { page } of viewers) await page.click('#stall');
    await eventually(
      'vehicles moved during the stall',
      async () => {
        const now = await positions();
        return now.vehicles[0]!.seq >= before.vehicles[0]!.seq + 4 ? true : undefined;
      },
      { timeoutMs: 10_000 },
    );
    await pause(true);
    const last = await eventually('the fleet stopped, nothing in flight', async () => {
      const p = await positions();
      return p.paused && p.inFlight === 0 ? p : undefined;
    });
    for (const { page, problems } of viewers) {
      await eventually(
        'every vehicle where it is now',
        async () => {
          const map = await shown(page);
          return last.vehicles.every((v) => map[v.vehicle]?.x === v.x && map[v.vehicle]?.y === v.y)
            ? true
            : undefined;
        },
        {
          timeoutMs: 15_000,
          lastSeen: async () => {
            const map = await shown(page);
            return last.vehicles
              .filter((v) => map[v.vehicle]?.x !== v.x || map[v.vehicle]?.y !== v.y)
              .slice(0, 3);
          },
        },
      );
      assert.equal(Object.keys(await shown(page)).length, last.vehicles.length);
      // The page did stall (its report comes a second after the stall ends).
      await eventually('the stall report', async () =>
        (await page.getAttribute('body', 'data-stalls')) === '1' ? true : undefined,
      );
      assert.deepEqual(problems, []);
    }
    await pause(false);
  });
});
