// The notifications demo in Chromium, three people in three browser contexts (WebSocket and SSE) on a real hub:
// a notification reaches only its user (badge, toast, inbox), and the dashboard charts the hub's own figures.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningDemos } from '../../demos/launcher.ts';
import { eventually, launchBrowser, openPage } from '../helpers/browser.ts';
import { startTestDemos } from '../helpers/demos.ts';

describe('demo: notifications and dashboard', () => {
  let browser: Browser;
  let demos: RunningDemos;

  before(async () => {
    browser = await launchBrowser();
    demos = await startTestDemos(['notify'], { DEMO_DASH_INTERVAL_MS: '300' });
  });
  after(async () => {
    await browser?.close();
    await demos?.stop();
  });

  async function person(name: string, transport: string) {
    const opened = await openPage(browser, `${demos.url}/demos/notify/?transport=${transport}`);
    await opened.page.fill('#name', name);
    await opened.page.click('#login button');
    await eventually(
      `${name} signed in`,
      async () => ((await opened.page.getAttribute('body', 'data-user')) === name ? true : undefined),
      { timeoutMs: 15_000 },
    );
    return opened;
  }
  const inbox = (page: Page) =>
    page.$$eval('#inbox li', (lis) => lis.map((li) => (li as HTMLElement).dataset.text));
  const notify = (to: string, text: string) =>
    fetch(`${demos.url}/demos/notify/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to, text, from: 'test' }),
    });

  it('notifications reach only their user; the dashboard charts the hub', async () => {
    const alice = await person('alice', 'websocket');
    const bob = await person('bob', 'sse');
    const carol = await person('carol', 'websocket');

    // From alice's page to bob, through the form.
    await alice.page.fill('#to', 'bob');
    await alice.page.fill('#text', 'for bob only');
    await alice.page.press('#text', 'Enter');
    await eventually('bob’s badge', async () =>
      (await bob.page.textContent('#badge')) === '1' ? true : undefined,
    );
    assert.equal(await bob.page.textContent('#toasts .toast'), 'alice: for bob only');
    assert.deepEqual(await inbox(bob.page), ['for bob only']);

    // One for carol, after which anything misrouted to alice or bob would have arrived.
    assert.equal((await notify('carol', 'for carol')).status, 200);
    await eventually('carol’s notification', async () =>
      (await inbox(carol.page)).includes('for carol') ? true : undefined,
    );
    assert.deepEqual(await inbox(carol.page), ['for carol']);
    assert.deepEqual(await inbox(bob.page), ['for bob only']);
    assert.deepEqual(await inbox(alice.page), []);
    assert.equal(await alice.page.getAttribute('#badge', 'data-count'), '0');

    // Reading clears the badge.
    await bob.page.click('#bell');
    assert.equal(await bob.page.getAttribute('#badge', 'data-count'), '0');

    // The dashboard: both transports' connections counted, points accumulating.
    await eventually(
      'the dashboard shows WebSocket and SSE connections',
      async () => {
        const ws = Number(await alice.page.textContent('#ws-now'));
        const sse = Number(await alice.page.textContent('#sse-now'));
        const figures = Number(await alice.page.getAttribute('body', 'data-figures'));
        return ws >= 2 && sse >= 1 && figures >= 3 ? true : undefined;
      },
      { timeoutMs: 15_000, lastSeen: () => alice.page.textContent('.charts') },
    );
    assert.ok(Number(await alice.page.textContent('#channels-now')) >= 4);
    for (const p of [alice, bob, carol]) assert.deepEqual(p.problems, []);
  });
});
