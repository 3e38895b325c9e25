// The inspector's token field (connect as a user over WebSocket; refused over SSE, where a browser cannot send
// it) and its layout on a phone-sized screen.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage } from '../helpers/browser.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { sign, TEST_SECRET } from '../helpers/jwt.ts';

describe('the inspector: token field and narrow layout', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];

  before(async () => {
    browser = await launchBrowser();
    hub = await startTestHub({ auth: { secret: TEST_SECRET, anonymous: false } });
    ({ page, problems } = await openPage(browser, `${hub.url}/`));
    await page.locator('body[data-ready="true"]').waitFor();
  });

  after(async () => {
    await browser?.close();
    await hub?.shutdown();
  });

  it("connects over WebSocket as the token's user, and subscribes with its permissions", async () => {
    const token = await sign({ sub: 'alice', subscribe: ['team:*'] });
    await page.getByTestId('transport-ws').check();
    await page.getByTestId('channels-input').fill('team:red');
    await page.getByTestId('token-input').fill(token);
    await page.getByTestId('connect').click();
    await page.locator('[data-testid="conn-state"][data-state="connected"]').waitFor();
    await page
      .locator('[data-testid="channel-row"][data-channel="team:red"][data-state="subscribed"]')
      .waitFor();
    await page.locator('[data-testid="conn-user"]', { hasText: 'as alice' }).waitFor();
    // The log says a token went out, not what it was.
    assert.equal(await page.getByText(token).count(), 0);
    const published = await hub.publish('team:red', { hi: 'alice' });
    await page
      .locator(`[data-testid="log-entry"][data-type="message"][data-offset="${published.offset}"]`)
      .waitFor();
    await page.getByTestId('disconnect').click();
    await page.locator('[data-testid="conn-state"][data-state="disconnected"]').waitFor();
    assert.equal(await page.getByTestId('conn-user').textContent(), '');
  });

  it('explains instead of putting a token on an SSE stream', async () => {
    await page.getByTestId('transport-sse').check();
    await page.getByTestId('connect').click();
    await page.getByText('an EventSource cannot send a token').waitFor();
    assert.equal(await page.getByTestId('conn-state').getAttribute('data-state'), 'disconnected');
  });

  it('stacks its panels above the log at 420 px, with nothing scrolling sideways', async () => {
    await page.setViewportSize({ width: 420, height: 860 });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 420, `the page is ${width} px wide at 420`);
    const side = await page.locator('.side').boundingBox();
    const log = await page.locator('.logpane').boundingBox();
    assert.ok(
      side !== null && log !== null && log.y >= side.y + side.height - 1,
      'the log comes after the panels',
    );
    await page.screenshot({ path: '/tmp/inspector-narrow.png', fullPage: true });
    assert.deepEqual(problems, []);
  });
});
