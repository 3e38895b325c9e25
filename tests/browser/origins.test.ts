// In real Chromium: a page on one origin (its own local HTTP server) can open an EventSource and a WebSocket to
// a hub that allows that origin, and cannot when the hub does not; the refused hub never holds a connection.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage } from '../helpers/browser.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { metric } from '../helpers/metrics.ts';

type Outcome = { sse: string; ws: string };

/** Runs in the page: opens both transports to `hub` and reports how each went. */
async function probe(page: Page, hub: TestHub): Promise<Outcome> {
  return page.evaluate(
    async ({ http, ws }) => {
      const sse = new Promise<string>((resolve) => {
        const es = new EventSource(`${http}/sse?channel=origin:test`, { withCredentials: true });
        es.addEventListener('subscribed', () => {
          es.close();
          resolve('subscribed');
        });
        es.onerror = () => {
          if (es.readyState === EventSource.CLOSED) resolve('refused');
        };
      });
      const socket = new Promise<string>((resolve) => {
        const s = new WebSocket(`${ws}`);
        s.onmessage = (e) => {
          const frame = JSON.parse(String(e.data)) as { type: string };
          if (frame.type === 'connected') {
            s.close();
            resolve('connected');
          }
        };
        s.onclose = (e) => resolve(`closed ${e.code}`);
      });
      return { sse: await sse, ws: await socket };
    },
    { http: hub.url, ws: hub.wsUrl },
  );
}

describe('origins in a real browser', () => {
  let site: Server;
  let origin: string;
  let open: TestHub;
  let closed: TestHub;
  let browser: Browser;
  let page: Page;

  before(async () => {
    site = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>another site</title><p>a page on another origin</p>');
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    open = await startTestHub({ server: { allowedOrigins: [origin] } });
    closed = await startTestHub({ server: { allowedOrigins: ['https://app.example.com'] } });
    browser = await launchBrowser();
    ({ page } = await openPage(browser, `${origin}/`));
  });

  after(async () => {
    await browser?.close();
    await open?.shutdown();
    await closed?.shutdown();
    site?.close();
  });

  it('connects over SSE and WebSocket when the hub allows the page origin', async () => {
    assert.deepEqual(await probe(page, open), { sse: 'subscribed', ws: 'connected' });
  });

  it('cannot connect over either when the hub does not, and the hub holds nothing for it', async () => {
    const outcome = await probe(page, closed);
    assert.equal(outcome.sse, 'refused');
    assert.match(outcome.ws, /^closed 1006$/);
    assert.equal(closed.node.connectionCount, 0);
    assert.deepEqual((await closed.api('channels')).body.channels, []);
    assert.ok((await metric(closed.url, 'switchboard_refused_total', { reason: 'origin_not_allowed' })) >= 2);
  });
});
