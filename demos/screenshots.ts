// `npm run demos:screenshots`: starts the demos on a free port, drives each page a little in headless Chromium
// (sign in, type, start the storm…) and writes docs/images/demo-<name>.png, the pictures the README shows, and
// docs/images/lab.png after a run of the lab. `npm run demos:screenshots -- lab` runs only the lab, and prints its
// results as JSON on stdout (the figures of docs/ws-vs-sse.md).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startDemos } from './launcher.ts';

const OUT = join(import.meta.dirname, '..', 'docs', 'images');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const settle = (page: Page, ms: number) => page.waitForTimeout(ms);

/** What to do on each page before the picture. */
const SCENES: Record<string, (page: Page, url: string) => Promise<void>> = {
  async sports(page) {
    await settle(page, 4_000);
  },
  async chat(page, url) {
    const other = await page.context().browser()!.newPage();
    await other.goto(`${url}/demos/chat/?transport=sse`);
    await other.fill('#name', 'bob');
    await other.click('#login button');
    await page.fill('#name', 'alice');
    await page.click('#login button');
    await page.waitForSelector('body[data-ready="true"]');
    await other.waitForSelector('body[data-ready="true"]');
    await other.fill('#text', 'Hi everyone! 大家好！');
    await other.press('#text', 'Enter');
    await page.fill('#text', 'Hello bob, welcome to the lobby');
    await page.press('#text', 'Enter');
    await other.type('#text', 'typing…');
    await page.fill('#dm-to', 'bob');
    await page.fill('#dm-text', 'a direct message, just for you');
    await page.press('#dm-text', 'Enter');
    await settle(page, 1_000);
  },
  async collab(page, url) {
    const other = await page.context().browser()!.newPage();
    await other.goto(`${url}/demos/collab/?transport=sse&name=Lin`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.type('#editor', 'Meeting notes\n\n- ship the demos\n- measure WebSocket against SSE\n');
    await other.waitForSelector('body[data-ready="true"]');
    await other.focus('#editor');
    await other.press('#editor', 'Control+End');
    await other.type('#editor', '- 写中文文档\n');
    await page.click('#editor');
    await settle(page, 1_000);
  },
  async danmaku(page) {
    await page.click('#storm');
    await settle(page, 3_000);
  },
  async location(page) {
    await settle(page, 3_000);
  },
  async quotes(page) {
    await settle(page, 5_000);
  },
  async notify(page, url) {
    await page.fill('#name', 'alice');
    await page.click('#login button');
    await page.waitForSelector('body[data-user="alice"]');
    for (const text of ['Your order has shipped', 'Bob mentioned you in #lobby']) {
      await fetch(`${url}/demos/notify/api/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: 'alice', text, from: 'shop' }),
      });
    }
    await settle(page, 6_000);
  },
};

const labOnly = process.argv.slice(2).includes('lab');
const running = await startDemos({
  port: 0,
  host: '127.0.0.1',
  env: {},
  logLevel: 'silent',
  ...(labOnly ? { only: [] } : {}),
});
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
try {
  mkdirSync(OUT, { recursive: true });
  const shoot = async (name: string, path: string, scene?: (page: Page, url: string) => Promise<void>) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
    const page = await context.newPage();
    await page.goto(`${running.url}${path}`);
    await scene?.(page, running.url);
    await page.screenshot({ path: join(OUT, `demo-${name}.png`) });
    await context.close();
    process.stderr.write(`docs/images/demo-${name}.png\n`);
  };
  if (!labOnly) {
    await shoot('index', '/demos/');
    await shoot('sports-zh', '/demos/sports/?lang=zh', SCENES.sports);
    for (const d of running.demos) await shoot(d.name, `/demos/${d.name}/`, SCENES[d.name]);
  }
  // The lab after a full run (about 20 s), with nothing else open on the hub.
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`${running.url}/lab?lang=en&run=1`);
  await page.waitForSelector('body[data-state="done"], body[data-state="failed"]', { timeout: 180_000 });
  await page.screenshot({ path: join(OUT, 'lab.png'), fullPage: true });
  process.stdout.write(`${await page.getAttribute('#results', 'data-json')}\n`);
  process.stderr.write('docs/images/lab.png\n');
  await context.close();
} finally {
  await browser.close();
  await running.stop();
}
