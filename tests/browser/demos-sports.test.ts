// The sports demo in Chromium, two viewers on a real hub: the score arrives on subscribe (last value), and a
// viewer whose connection is cut at the hub resumes — a plain EventSource by itself with Last-Event-ID, a plain
// WebSocket with `since` — with no play missing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningDemos } from '../../demos/launcher.ts';
import { eventually, launchBrowser } from '../helpers/browser.ts';
import { cutAndResume, openDemo, startTestDemos } from '../helpers/demos.ts';

const INTERVAL_MS = 150;

const playsShown = (page: Page) =>
  page.$$eval('#plays li', (lis) => lis.map((li) => Number((li as HTMLElement).dataset.seq)).reverse());

describe('demo: live sports', () => {
  let browser: Browser;
  let demos: RunningDemos;

  before(async () => {
    browser = await launchBrowser();
    demos = await startTestDemos(['sports'], { DEMO_SPORTS_INTERVAL_MS: String(INTERVAL_MS) });
  });
  after(async () => {
    await browser?.close();
    await demos?.stop();
  });

  const state = async () =>
    (await (await fetch(`${demos.url}/demos/sports/api/state`)).json()) as { seq: number };

  for (const transport of ['sse', 'websocket'] as const) {
    it(`over ${transport}: the score on subscribe, then a cut resumed with no missing play`, async () => {
      const { page, problems } = await openDemo(browser, demos, `/demos/sports/?transport=${transport}`);
      const other = await openDemo(
        browser,
        demos,
        `/demos/sports/?transport=${transport === 'sse' ? 'websocket' : 'sse'}`,
      );
      // The scoreboard is filled from the last value before any new play could have come.
      await eventually('the score', async () =>
        (await page.getAttribute('#score', 'data-seq')) ? true : undefined,
      );
      await eventually('a few plays', async () => ((await playsShown(page)).length >= 3 ? true : undefined), {
        timeoutMs: 15_000,
      });

      const resume = await cutAndResume(page);
      assert.equal(resume.recovered, true, 'the hub recovered the gap');
      assert.equal(resume.missing, 0);

      // Plays go on after the resume; every one from the first shown to the backend's latest is on the page, once.
      const target = (await state()).seq + 3;
      await eventually(
        `plays up to ${target}`,
        async () => ((await playsShown(page)).at(-1)! >= target ? true : undefined),
        { timeoutMs: 15_000, lastSeen: () => playsShown(page) },
      );
      const shown = await playsShown(page);
      const first = shown[0]!;
      assert.deepEqual(
        shown,
        Array.from({ length: shown.length }, (_, i) => first + i),
        'no play missing or doubled',
      );
      assert.equal(await page.textContent('#missing'), '0');
      // The other viewer, on the other transport, sees the same match.
      await eventually('the other viewer at the same play', async () => {
        const a = (await playsShown(page)).at(-1);
        const b = (await playsShown(other.page)).at(-1);
        return a !== undefined && b !== undefined && b >= a ? true : undefined;
      });
      assert.deepEqual(problems, []);
      assert.deepEqual(other.problems, []);
      await page.context().close();
      await other.page.context().close();
    });
  }
});
