// The demos' launcher and shared page kit in Chromium: the index lists every demo and links to it; each page's
// bar switches transport (WebSocket / SSE) and language (English / 中文), and its "cut" drops the connection at
// the hub and shows the resume.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { RunningDemos } from '../../demos/launcher.ts';
import { eventually, launchBrowser, openPage } from '../helpers/browser.ts';
import { cutAndResume, openDemo, startTestDemos } from '../helpers/demos.ts';

describe('npm run demos: launcher, index and page kit', () => {
  let browser: Browser;
  let demos: RunningDemos;

  before(async () => {
    browser = await launchBrowser();
    demos = await startTestDemos(['sports'], { DEMO_SPORTS_INTERVAL_MS: '300' });
  });
  after(async () => {
    await browser?.close();
    await demos?.stop();
  });

  it('serves an index that links to every demo started, in both languages', async () => {
    const { page, problems } = await openPage(browser, `${demos.url}/demos/`);
    const links = await page.$$eval('a[data-demo]', (as) => as.map((a) => a.getAttribute('href')));
    // The lab is linked after the demos: it measures the transports rather than showing a use.
    assert.deepEqual(links, [...demos.demos.map((d) => `/demos/${d.name}/`), '/lab']);
    // innerText: the text a person sees (the other language's spans are display: none).
    // biome-ignore lint/performance/useDomNodeTextContent: the visible text is the point
    const heading = () => page.$eval('h1', (h) => (h as HTMLElement).innerText.trim());
    assert.equal(await heading(), 'Switchboard demos');
    await page.click('button[data-lang="zh"]');
    assert.equal(await heading(), 'Switchboard 演示');
    await page.reload();
    assert.equal(await heading(), 'Switchboard 演示', 'the language choice survives a reload');
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it('switches transport with the toggle, and a cut shows the resume', async () => {
    const { page, problems } = await openDemo(browser, demos, '/demos/sports/');
    assert.equal(await page.getAttribute('.kit-status', 'data-transport'), 'websocket');
    await page.click('button[data-transport="sse"]');
    await page.waitForURL(/transport=sse/);
    await eventually(
      'connected over SSE',
      async () =>
        (await page.getAttribute('.kit-status', 'data-transport')) === 'sse' &&
        (await page.getAttribute('.kit-status', 'data-state')) === 'connected'
          ? true
          : undefined,
      { timeoutMs: 15_000 },
    );
    assert.match((await page.textContent('.kit-status'))!, /connected over SSE/);
    await page.click('button[data-lang="zh"]');
    assert.match((await page.textContent('.kit-status'))!, /已连接（SSE）/);
    assert.equal(await page.textContent('.kit-cut'), '切断连接');
    const resume = await cutAndResume(page);
    assert.equal(resume.recovered, true);
    assert.equal(resume.missing, 0);
    assert.match((await page.textContent('.kit-note'))!, /切断后 \d+ 毫秒恢复/);
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it('refuses a cut of nothing and a backend path of a demo not started', async () => {
    const cut = await fetch(`${demos.url}/demos/cut`, { method: 'POST', body: '{}' });
    assert.equal(cut.status, 400);
    const none = await fetch(`${demos.url}/demos/cut`, { method: 'POST', body: '{"client":"nobody"}' });
    assert.equal(none.status, 404);
    assert.equal((await fetch(`${demos.url}/demos/chat/api/token`)).status, 404);
  });
});
