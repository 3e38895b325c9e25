// The operators' console at /admin in headless Chromium, used the way an operator uses it, mostly from the keyboard:
// log in with an admin key, watch the charts, open a channel (live stream, history, presence, publish with a
// confirmation), and disconnect a connection with a confirmation. At 420 px wide nothing scrolls sideways.
// ADMIN_SCREENSHOTS=<dir> saves the screenshots docs/admin.md shows (docs/images).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchBrowser, openPage } from '../helpers/browser.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const ADMIN_KEY = 'console-key-0123456789abcdef';
const SHOTS = process.env.ADMIN_SCREENSHOTS ?? '/tmp/admin-screenshots';

describe('the /admin console', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];
  const clients: WsTestClient[] = [];

  const shot = async (name: string) => {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `admin-${name}.png`), fullPage: true });
  };

  before(async () => {
    browser = await launchBrowser();
    hub = await startTestHub({
      admin: { keys: [ADMIN_KEY] },
      channel: { history: { size: 50 }, presence: true },
    });
    // Some traffic to look at: three subscribers over WebSocket, one of them on two channels.
    for (const channels of [['scores'], ['scores', 'chat:lobby'], ['chat:lobby']]) {
      const ws = await WsTestClient.connect(hub.wsUrl);
      for (const [i, channel] of channels.entries())
        await ws.request({ type: 'subscribe', channel, id: i + 1 });
      clients.push(ws);
    }
    for (let i = 1; i <= 3; i++) await hub.publish('scores', { home: i, away: 0 });
    ({ page, problems } = await openPage(browser, `${hub.url}/admin`));
  });

  after(async () => {
    for (const c of clients) await c.close();
    await browser?.close();
    await hub?.shutdown();
  });

  it('refuses a wrong key, then logs in from the keyboard and keeps the key for the tab only', async () => {
    assert.equal(await page.title(), 'Switchboard console');
    await page.getByTestId('login-key').focus();
    await page.keyboard.type('not-the-key');
    await page.keyboard.press('Enter');
    await eventually('the refusal', async () =>
      (await page.getByTestId('login-error').textContent()) === 'That key was refused.' ? true : undefined,
    );
    // Chromium logs the refused request; it was asked for.
    assert.ok(problems.splice(0).every((p) => p.includes('401')));
    await shot('login');

    await page.getByTestId('login-key').fill(ADMIN_KEY);
    await page.keyboard.press('Enter');
    await page.getByTestId('node').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('switchboard-admin-key')), ADMIN_KEY);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.match(String(await page.getByTestId('node-state').textContent()), /memory · ready/);
    assert.match(
      String(await page.getByTestId('node').textContent()),
      /connections3 \(ws 3, sse 0, pusher 0\)/,
    );
  });

  it('draws the live charts from the hub metrics', async () => {
    // Deliveries while the charts sample (every second): the latency chart gets a p50 and a p99.
    const publishing = setInterval(() => void hub.publish('scores', { tick: Date.now() }), 100);
    try {
      await eventually(
        'a latency reading over four samples',
        async () => {
          const text = String(await page.getByTestId('chart-latency').textContent());
          const points = String(
            await page.locator('[data-chart="latency"] polyline').first().getAttribute('points'),
          );
          return /ms \/ .*ms/.test(text) && points.split(' ').length >= 4 ? text : undefined;
        },
        { timeoutMs: 15_000 },
      );
    } finally {
      clearInterval(publishing);
    }
    assert.match(String(await page.getByTestId('chart-deliveries').textContent()), /^\d/);
    assert.ok((await page.locator('[data-chart="latency"] polyline').count()) === 2);
    await shot('overview');
  });

  it('finds a channel, follows it live, shows its history and presence, and publishes after a confirmation', async () => {
    // Arrow keys move between the tabs.
    await page.getByTestId('tab-overview').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByTestId('tab-channels').getAttribute('aria-selected'), 'true');
    await page.getByTestId('chan-search').fill('score');
    await page.keyboard.press('Enter');
    const link = page.getByTestId('chan-link').filter({ hasText: 'scores' });
    await link.waitFor();
    assert.equal(await page.getByTestId('chan-link').count(), 1);
    await link.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('channel-view').waitFor();
    const stats = await eventually('the channel to load', async () => {
      const text = String(await page.getByTestId('channel-stats').textContent());
      return text === '' ? undefined : text;
    });
    assert.match(stats, /^2 subscribers here/);
    assert.equal(await page.getByTestId('presence').locator('li').count(), 2);
    assert.ok((await page.getByTestId('history').locator('li').count()) >= 3);

    await page.getByTestId('live-toggle').click();
    await eventually('the live stream', async () =>
      (await page.getByTestId('live-state').textContent()) === 'following live' ? true : undefined,
    );
    await hub.publish('scores', { home: 9, away: 9 });
    await page.getByTestId('live-log').getByText('{"home":9,"away":9}').waitFor();

    // Publishing asks first; cancelling publishes nothing.
    const before = clients[0]!.messages('scores').length;
    await page.getByTestId('publish-data').fill('{"from":"console"}');
    await page.getByTestId('publish-submit').click();
    await page.getByTestId('confirm').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('confirm-ok').waitFor({ state: 'hidden' });
    await page.getByTestId('publish-submit').click();
    await page.getByTestId('confirm-ok').click();
    await eventually('the publish result', async () => {
      const text = String(await page.getByTestId('publish-result').textContent());
      return text.startsWith('Published at') ? text : undefined;
    });
    await page.getByTestId('live-log').getByText('{"from":"console"}').waitFor();
    const got = await clients[0]!.waitMessages(before + 1, 'scores');
    assert.deepEqual(got.at(-1)!.data, { from: 'console' });
    assert.equal(got.filter((m) => m.data?.from === 'console').length, 1);
    await shot('channel');
  });

  it('lists connections with filters and disconnects one after a confirmation', async () => {
    await page.getByTestId('tab-connections').click();
    await page.getByTestId('filter-channel').fill('chat:lobby');
    await page.getByTestId('filter-apply').click();
    await eventually('the filtered list', async () =>
      /^2 of 4 connections/.test(String(await page.getByTestId('conn-summary').textContent()))
        ? true
        : undefined,
    );
    await shot('connections');
    const target = clients[2]!;
    const id = target.frames.find((f) => f.type === 'connected')!.client as string;
    const row = page.locator(`tr[data-client="${id}"]`);
    await row.getByTestId('disconnect').click();
    assert.match(String(await page.getByTestId('confirm-text').textContent()), new RegExp(`client ${id}`));
    await page.getByTestId('confirm-ok').click();
    await target.closed();
    assert.equal(target.closeCode, 4503);
    await eventually('the row to go', async () => ((await row.count()) === 0 ? true : undefined));
    assert.equal(clients[0]!.closeCode, undefined);
  });

  it('is usable at 420 px: nothing scrolls sideways', async () => {
    await page.setViewportSize({ width: 420, height: 900 });
    for (const tab of ['overview', 'connections', 'channels']) {
      await page.getByTestId(`tab-${tab}`).click();
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 420, `${tab}: the page is ${width} px wide at 420`);
    }
    await shot('narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('logs out, forgetting the key, and ran with no page errors', async () => {
    await page.getByTestId('logout').click();
    await page.getByTestId('login-key').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('switchboard-admin-key')), null);
    assert.deepEqual(problems, []);
  });
});
