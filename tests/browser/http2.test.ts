// In real Chromium: ten tabs of one origin, each with a native EventSource. Over TLS the browser picks HTTP/2 by
// ALPN and all ten streams share one connection, all live; over HTTP/1.1 the browser opens at most six
// connections per host, so the seventh stream stalls. The test CA is made at test time, and Chromium is told to
// accept the server certificate's key (`--ignore-certificate-errors-spki-list`), nothing more.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually, launchBrowser, recordEventSource, recorded } from '../helpers/browser.ts';
import { h2connect, h2request, makeTestPki, type TestPki } from '../helpers/h2.ts';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';

const TABS = 10;

interface Tabs {
  readonly context: BrowserContext;
  readonly pages: Page[];
  /** The protocol and connection id of every `/sse` response, as Chromium's network log saw them. */
  readonly sse: { protocol: string; connectionId: number }[];
}

/** Ten tabs of `origin` (the inspector page, which opens nothing by itself), then one EventSource in each. */
async function openTabs(browser: Browser, origin: string): Promise<Tabs> {
  const context = await browser.newContext();
  const pages: Page[] = [];
  const sse: Tabs['sse'] = [];
  for (let i = 0; i < TABS; i++) {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    cdp.on('Network.responseReceived', (e) => {
      if (new URL(e.response.url).pathname === '/sse')
        sse.push({ protocol: e.response.protocol ?? '', connectionId: e.response.connectionId });
    });
    const response = await page.goto(`${origin}/`);
    assert.equal(response?.status(), 200);
    pages.push(page);
  }
  for (const [i, page] of pages.entries()) await recordEventSource(page, `/sse?channel=tab-${i}`);
  return { context, pages, sse };
}

/** Which tabs have the publication sent to their channel. */
async function live(pages: Page[]): Promise<boolean[]> {
  return Promise.all(
    pages.map(async (page, i) =>
      (await recorded(page)).sse.some((e) => e.event === 'message' && e.frame.channel === `tab-${i}`),
    ),
  );
}

describe('ten SSE tabs of one origin in Chromium', () => {
  let pki: TestPki;
  let browser: Browser;
  let tls: TestHub;
  let plain: TestHub;

  before(async () => {
    pki = makeTestPki();
    browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${pki.spki}`]);
    tls = await startTestHub({ server: { tls: { cert: pki.certFile, key: pki.keyFile } } });
    plain = await startTestHub();
  });
  after(async () => {
    await browser?.close();
    await tls?.shutdown();
    await plain?.shutdown();
    pki?.remove();
  });

  it('over TLS: HTTP/2, one connection, all ten live', async () => {
    const origin = tls.url.replace('127.0.0.1', 'localhost');
    const { context, pages, sse } = await openTabs(browser, origin);
    await eventually(
      'ten SSE streams at the hub',
      async () => (tls.node.connectionCount === TABS ? true : undefined),
      { timeoutMs: 15_000 },
    );
    // Published over HTTP/2 too (the test's own client trusts the test CA).
    const api = await h2connect(origin, { ca: pki.ca });
    for (let i = 0; i < TABS; i++) {
      const r = await h2request(
        api,
        { ':method': 'POST', ':path': '/api/publish', authorization: `Bearer ${TEST_API_KEY}` },
        JSON.stringify({ channel: `tab-${i}`, data: { tab: i } }),
      );
      assert.equal(r.status, 200, r.text);
    }
    api.close();
    const all = await eventually(
      'every tab to receive its publication',
      async () => {
        const l = await live(pages);
        return l.every(Boolean) ? l : undefined;
      },
      { timeoutMs: 15_000, lastSeen: () => live(pages) },
    );
    assert.equal(all.length, TABS);
    assert.equal(sse.length, TABS);
    assert.ok(
      sse.every((r) => r.protocol === 'h2'),
      JSON.stringify(sse),
    );
    assert.equal(new Set(sse.map((r) => r.connectionId)).size, 1, `connections ${JSON.stringify(sse)}`);
    await context.close();
  });

  it('over HTTP/1.1: six live, the seventh stalls', async () => {
    const { context, pages, sse } = await openTabs(browser, plain.url);
    await eventually(
      'six SSE streams at the hub',
      async () => (plain.node.connectionCount === 6 ? true : undefined),
      { timeoutMs: 15_000 },
    );
    for (let i = 0; i < TABS; i++) await plain.publish(`tab-${i}`, { tab: i });
    const six = await eventually(
      'six tabs to receive their publication',
      async () => {
        const l = await live(pages);
        return l.filter(Boolean).length === 6 ? l : undefined;
      },
      { timeoutMs: 15_000, lastSeen: () => live(pages) },
    );
    // Given time, the other four still have nothing: their requests wait for a free connection.
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(await live(pages), six);
    assert.equal(plain.node.connectionCount, 6);
    assert.equal(six.filter(Boolean).length, 6);
    assert.ok(
      sse.every((r) => r.protocol === 'http/1.1'),
      JSON.stringify(sse),
    );
    await context.close();
  });
});
