// The React entry in Chromium, under StrictMode in React's development build (which mounts, unmounts and mounts
// again every effect): one hub connection, one subscribe command on the wire, every message rendered once.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { eventually, launchBrowser } from '../helpers/browser.ts';
import { bundlePageScript } from '../helpers/client-bundle.ts';
import { type Front, hubConnections, startFront } from '../helpers/front.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

describe('React hooks in Chromium under StrictMode', () => {
  let hub: TestHub;
  let front: Front;
  let browser: Browser;

  before(async () => {
    browser = await launchBrowser();
    hub = await startTestHub();
    const app = await bundlePageScript(join(import.meta.dirname, 'fixtures', 'react-app.ts'), {
      'process.env.NODE_ENV': '"development"',
    });
    front = await startFront(hub.port, {
      '/': {
        type: 'text/html; charset=utf-8',
        body: '<!doctype html><meta charset="utf-8"><div id="root"></div><script type="module" src="/app.js"></script>',
      },
      '/app.js': { type: 'text/javascript; charset=utf-8', body: app },
    });
  });
  after(async () => {
    await browser?.close();
    await front?.stop();
    await hub?.shutdown();
  });

  it('renders connection state, presence and messages, with one connection and one subscribe', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // What the page's WebSocket sends, as Chromium reports it.
    const sent: string[] = [];
    page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(String(f.payload))));
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${front.url}/`);
    const subscribesTo = (channel: string) =>
      sent.filter((f) => {
        const c = JSON.parse(f);
        return c.type === 'subscribe' && c.channel === channel;
      }).length;
    await eventually('connected, present and subscribed', async () => {
      const status = await page.textContent('#status');
      const state = await page.getAttribute('#messages', 'data-state');
      return status === 'connected 1' && state === 'subscribed' ? true : undefined;
    });
    for (let n = 1; n <= 3; n++) await hub.publish('react-room', { n });
    await eventually('three messages in both lists', async () =>
      (await page.locator('#messages li').count()) === 6 ? true : undefined,
    );
    const lists = await page.$$eval('#messages', (uls) =>
      uls.map((ul) => [...ul.children].map((li) => li.textContent)),
    );
    assert.deepEqual(lists, [
      ['1:1', '2:2', '3:3'],
      ['1:1', '2:2', '3:3'],
    ]);
    assert.equal(subscribesTo('react-room'), 1, `one subscribe on the wire: ${JSON.stringify(sent)}`);
    assert.equal(subscribesTo('react-lobby'), 1);
    assert.equal(await hubConnections(hub.url), 1);

    // Unmounting both lists unsubscribes (once); mounting again subscribes (once) and the list starts afresh.
    await page.click('#toggle');
    await eventually('unsubscribed', async () =>
      sent.some((f) => JSON.parse(f).type === 'unsubscribe') ? true : undefined,
    );
    await page.click('#toggle');
    await eventually('subscribed again', async () =>
      (await page.getAttribute('#messages', 'data-state')) === 'subscribed' ? true : undefined,
    );
    assert.equal(subscribesTo('react-room'), 2);
    assert.equal(await page.locator('#messages li').count(), 0, 'a list mounted afresh starts empty');
    assert.equal(await hubConnections(hub.url), 1);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
