// The bullet-comment demo in Chromium, two viewers (WebSocket and SSE) on a real hub: a viewer's comment reaches
// the other; a viewer posting too fast is refused past the per-connection publish rate; during the 2,000/s storm
// each page gets at most the namespace's delivery cap, keeps its sky bounded and its frames coming.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningDemos } from '../../demos/launcher.ts';
import { eventually, launchBrowser, openPage } from '../helpers/browser.ts';
import { startTestDemos } from '../helpers/demos.ts';

/** demos/hub.json: `danmaku.delivery.maxRate` and `limits.publishRate`. */
const DELIVERY_CAP = 60;
const PUBLISH_RATE = 10;
/**
 * Frames: the page draws at the display's rate (60/s headless). The bound is what "smooth enough to read" needs
 * — a p95 frame under a quarter of a second — far above what the page needs on a quiet machine, so a loaded
 * test machine does not fail it; a page flooded with 2,000 comments a second (no cap) blows through it.
 */
const FRAME_P95_MS = 250;

interface Frames {
  p95: number;
  max: number;
  frames: number;
}

describe('demo: bullet comments', () => {
  let browser: Browser;
  let demos: RunningDemos;

  before(async () => {
    browser = await launchBrowser();
    demos = await startTestDemos(['danmaku']);
  });
  after(async () => {
    await browser?.close();
    await demos?.stop();
  });

  const stat = async (page: Page, id: string) => Number(await page.textContent(`#${id}`));

  it('comments, the per-viewer limit, and a smooth page through the storm', async (t) => {
    const viewers: { page: Page; problems: string[] }[] = [];
    for (const transport of ['websocket', 'sse']) {
      const opened = await openPage(browser, `${demos.url}/demos/danmaku/?transport=${transport}`);
      await eventually(
        'connected',
        async () =>
          (await opened.page.getAttribute('.kit-status', 'data-state')) === 'connected' ? true : undefined,
        { timeoutMs: 15_000 },
      );
      viewers.push(opened);
    }
    const [a, b] = viewers as [(typeof viewers)[0], (typeof viewers)[0]];

    // A comment from one viewer reaches the other.
    await a.page.fill('#text', 'first!');
    await a.page.press('#text', 'Enter');
    await eventually(
      'b receives it',
      async () => ((await stat(b.page, 'received')) >= 1 ? true : undefined),
      {
        timeoutMs: 10_000,
      },
    );

    // Forty at once: past the burst (twice the rate), the hub refuses them.
    await a.page.evaluate(async () => {
      const post = (window as unknown as { post: (t: string) => Promise<void> }).post;
      await Promise.all(Array.from({ length: 40 }, (_, i) => post(`spam ${i}`)));
    });
    const [sent, refused] = ((await a.page.textContent('#mine')) ?? '').split(' / ').map(Number) as [
      number,
      number,
    ];
    assert.equal(sent + refused, 41);
    assert.ok(refused > 0 && sent <= 1 + 2 * PUBLISH_RATE + PUBLISH_RATE, `sent ${sent}, refused ${refused}`);

    // The storm.
    await b.page.click('#storm');
    // Under way once the backend has published its first comments; how fast it gets is the machine's affair
    // (a loaded two-core machine manages a few hundred a second), and what it achieved is checked below.
    await eventually(
      'the storm under way',
      async () => {
        const s = (await (await fetch(`${demos.url}/demos/danmaku/api/storm`)).json()) as {
          published: number;
        };
        return s.published > 0 ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );
    await eventually(
      'the storm over',
      async () => {
        const s = (await (await fetch(`${demos.url}/demos/danmaku/api/storm`)).json()) as {
          running: boolean;
          inFlight: number;
        };
        return !s.running && s.inFlight === 0 ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );
    const storm = (await (await fetch(`${demos.url}/demos/danmaku/api/storm`)).json()) as {
      achieved: number;
    };
    t.diagnostic(`storm: ${storm.achieved} comments/s achieved (asked 2000)`);
    // The test means something only if the storm outran the delivery cap: then the hub must leave some out.
    assert.ok(storm.achieved > 2 * DELIVERY_CAP, `the storm reached only ${storm.achieved} comments/s`);
    for (const { page, problems } of viewers) {
      // The page's once-a-second figures cover the storm's last second.
      await page.waitForTimeout(1_100);
      const maxRate = Number(await page.getAttribute('body', 'data-max-rate'));
      const frames = JSON.parse((await page.getAttribute('body', 'data-worst-frames'))!) as Frames;
      const skipped = await stat(page, 'skipped');
      // The cap holds: deliveries at least 1000/60 ms apart (a second of the page's clock may catch one more).
      assert.ok(maxRate <= DELIVERY_CAP + 2, `received ${maxRate} in one second`);
      assert.ok(skipped > 0, 'the hub left comments out');
      assert.ok((await stat(page, 'onscreen')) <= 150);
      assert.ok(frames.frames > 0 && frames.p95 < FRAME_P95_MS, `frame times ${JSON.stringify(frames)}`);
      t.diagnostic(`worst 2 s of frames: ${JSON.stringify(frames)}; most received in a second: ${maxRate}`);
      assert.deepEqual(problems, []);
    }
  });
});
