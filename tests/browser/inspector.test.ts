// The inspector page at `/`, driven the way a person uses it: pick a transport, connect, publish, read the log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeCursor, normalizeChannels } from '@switchboard/protocol';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser, openPage } from '../helpers/browser.ts';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';

const SCREENSHOT = '/tmp/inspector.png';

/** What inspector.js exports: its copy of the cursor codec. */
interface InspectorModule {
  normalizeChannels(channels: readonly string[]): string[];
  encodeCursor(channels: readonly string[], positions: readonly { epoch: string; offset: number }[]): string;
}

describe('the inspector page', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];

  /** The log rows matching every given `data-*` attribute. */
  function entries(attrs: Record<string, string | number>): Locator {
    const selector = Object.entries(attrs)
      .map(([k, v]) => `[data-${k}="${v}"]`)
      .join('');
    return page.locator(`[data-testid="log-entry"]${selector}`);
  }

  async function connect(transport: 'ws' | 'sse', channels: string): Promise<void> {
    await page.getByTestId(`transport-${transport}`).check();
    await page.getByTestId('channels-input').fill(channels);
    await page.getByTestId('connect').click();
    await page.locator('[data-testid="conn-state"][data-state="connected"]').waitFor();
  }

  async function channelRow(channel: string, state: string): Promise<Locator> {
    const row = page.locator(`[data-testid="channel-row"][data-channel="${channel}"][data-state="${state}"]`);
    await row.waitFor();
    return row;
  }

  async function publishThroughForm(channel: string, data: string, via: 'api' | 'ws', key = TEST_API_KEY) {
    await page.getByTestId('publish-via').selectOption(via);
    await page.getByTestId('publish-channel').fill(channel);
    await page.getByTestId('publish-data').fill(data);
    if (via === 'api') await page.getByTestId('api-key').fill(key);
    await page.getByTestId('publish-result').evaluate((el) => {
      el.textContent = '';
    });
    await page.getByTestId('publish').click();
    await page.locator('[data-testid="publish-result"][data-ok]:not(:empty)').waitFor();
    return page.getByTestId('publish-result');
  }

  async function disconnect(): Promise<void> {
    await page.getByTestId('disconnect').click();
    await page.locator('[data-testid="conn-state"][data-state="disconnected"]').waitFor();
  }

  before(async () => {
    browser = await launchBrowser();
    hub = await startTestHub({ channel: { clientPublish: true } });
    ({ page, problems } = await openPage(browser, `${hub.url}/`));
  });

  after(async () => {
    await browser?.close();
    await hub?.shutdown();
  });

  it('loads under its strict CSP with no errors, idle', async () => {
    await page.locator('body[data-ready="true"]').waitFor();
    assert.equal(await page.title(), 'Switchboard inspector');
    assert.equal(await page.getByTestId('conn-state').textContent(), 'disconnected');
    assert.deepEqual(problems, []);
  });

  it('builds the same resume cursors as the protocol package', async () => {
    const sets = [
      ['a'],
      ['b', 'a'],
      ['chat:lobby', 'user#42', 'x/y,z=1', 'a.b@c', 'chat:lobby'],
      ['Z', 'a', '_'],
    ];
    const positions = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ epoch: `e${i}x`, offset: i * 7 }));
    const fromPage = await page.evaluate(async (sets) => {
      // The module the page already loaded (modules are evaluated once per URL).
      const url = '/inspector.js';
      const m = (await import(url)) as InspectorModule;
      return sets.map((s) => {
        const names = m.normalizeChannels(s);
        return m.encodeCursor(
          names,
          names.map((_, i) => ({ epoch: `e${i}x`, offset: i * 7 })),
        );
      });
    }, sets);
    const fromTs = sets.map((s) => {
      const names = normalizeChannels(s);
      return encodeCursor(names, positions(names.length));
    });
    assert.deepEqual(fromPage, fromTs);
  });

  it('over SSE: connects, publishes through the API form, shows the message, resumes on subscribe', async () => {
    await connect('sse', 'room:sse');
    await channelRow('room:sse', 'subscribed');
    assert.equal(await page.getByTestId('conn-transport').textContent(), 'over SSE');
    assert.match(String(await page.getByTestId('client-id').textContent()), /\S{8,}/);

    const result = await publishThroughForm('room:sse', '{"hello":"sse"}', 'api');
    assert.equal(await result.textContent(), 'published at offset 1');
    const message = entries({ dir: 'in', type: 'message', channel: 'room:sse', offset: 1 });
    await message.waitFor();
    assert.equal(await message.getByTestId('log-data').textContent(), '{"hello":"sse"}');
    const row = await channelRow('room:sse', 'subscribed');
    assert.equal(await row.getByTestId('channel-offset').textContent(), '1');

    // A wrong key: the hub's coded error, shown as such.
    const seen = problems.length;
    const refused = await publishThroughForm('room:sse', '"nope"', 'api', 'wrong-key');
    assert.equal(await refused.getAttribute('data-ok'), 'false');
    assert.match(String(await refused.textContent()), /^401 unauthorized:/);
    await entries({ dir: 'in', type: 'HTTP 401' }).waitFor();
    // Chromium logs every failed request to the console; this one was asked for.
    assert.deepEqual(problems.splice(seen), [
      'console: Failed to load resource: the server responded with a status of 401 (Unauthorized)',
    ]);

    // Subscribing over SSE reopens the stream with a cursor: room:sse resumes, room:sse2 joins live.
    await page.getByTestId('subscribe-channel').fill('room:sse2');
    await page.getByTestId('subscribe').click();
    await channelRow('room:sse2', 'subscribed');
    await channelRow('room:sse', 'subscribed');
    const opened = await entries({ dir: 'note', type: 'open' }).last().getByTestId('log-data').textContent();
    assert.match(String(opened), /^EventSource \/sse\?channel=room%3Asse&channel=room%3Asse2&since=1\./);
    const resumed = entries({ dir: 'in', type: 'subscribed', channel: 'room:sse' }).last();
    assert.match(String(await resumed.getByTestId('log-data').textContent()), /"recovered":true/);
    await publishThroughForm('room:sse2', 'plain text', 'api');
    const second = entries({ dir: 'in', type: 'message', channel: 'room:sse2', offset: 1 });
    await second.waitFor();
    assert.equal(await second.getByTestId('log-data').textContent(), '"plain text"');
    // Nothing arrived twice through the reopened stream.
    assert.equal(await entries({ dir: 'in', type: 'message', channel: 'room:sse' }).count(), 1);

    await page
      .locator('[data-testid="channel-row"][data-channel="room:sse2"]')
      .getByTestId('unsubscribe')
      .click();
    await page
      .locator('[data-testid="channel-row"][data-channel="room:sse2"]')
      .waitFor({ state: 'detached' });
    await channelRow('room:sse', 'subscribed');
    await disconnect();
  });

  it('over WebSocket: publishes through the API and as a client, asks history and presence', async () => {
    await connect('ws', 'room:ws');
    await channelRow('room:ws', 'subscribed');
    assert.equal(await page.getByTestId('conn-transport').textContent(), 'over WebSocket');
    const clientId = String(await page.getByTestId('client-id').textContent());

    await publishThroughForm('room:ws', '{"hello":"ws"}', 'api');
    const viaApi = entries({ dir: 'in', type: 'message', channel: 'room:ws', offset: 1 });
    await viaApi.waitFor();
    assert.equal(await viaApi.getByTestId('log-data').textContent(), '{"hello":"ws"}');

    const result = await publishThroughForm('room:ws', '{"from":"page"}', 'ws');
    await page.locator('[data-testid="publish-result"]', { hasText: 'published at offset 2' }).waitFor();
    assert.equal(await result.getAttribute('data-ok'), 'true');
    await entries({ dir: 'out', type: 'publish', channel: 'room:ws' }).waitFor();
    const viaWs = entries({ dir: 'in', type: 'message', channel: 'room:ws', offset: 2 });
    await viaWs.waitFor();
    assert.equal(await viaWs.getByTestId('log-data').textContent(), `{"from":"page"}  (from ${clientId})`);

    await page.getByTestId('query-channel').fill('room:ws');
    await page.getByTestId('history').click();
    const history = entries({ dir: 'in', type: 'history', channel: 'room:ws' });
    await history.waitFor();
    const historyData = JSON.parse(String(await history.getByTestId('log-data').textContent()));
    assert.deepEqual(
      historyData.publications.map((p: { offset: number; data: unknown }) => [p.offset, p.data]),
      [
        [1, { hello: 'ws' }],
        [2, { from: 'page' }],
      ],
    );
    await page.getByTestId('presence').click();
    const presence = entries({ dir: 'in', type: 'presence', channel: 'room:ws' });
    await presence.waitFor();
    const presenceData = JSON.parse(String(await presence.getByTestId('log-data').textContent()));
    assert.deepEqual(
      presenceData.clients.map((c: { client: string }) => c.client),
      [clientId],
    );

    // The hub ends the connection with a reconnect code: the page comes back by itself and resumes.
    const res = await hub.api('disconnect', { client: clientId, reconnect: true });
    assert.equal(res.status, 200);
    const missed = await hub.publish('room:ws', { missed: true });
    await entries({ dir: 'in', type: 'close' }).waitFor();
    await page.locator('[data-testid="client-id"]', { hasNotText: clientId }).waitFor();
    await page.locator('[data-testid="conn-state"][data-state="connected"]').waitFor();
    const resumed = entries({ dir: 'in', type: 'subscribed', channel: 'room:ws' }).last();
    await entries({ dir: 'in', type: 'message', channel: 'room:ws', offset: missed.offset }).waitFor();
    assert.match(String(await resumed.getByTestId('log-data').textContent()), /"recovered":true/);
    assert.equal(await entries({ dir: 'in', type: 'message', channel: 'room:ws' }).count(), 3);
    assert.match(
      String(await entries({ dir: 'in', type: 'close' }).getByTestId('log-data').textContent()),
      /"code":4004/,
    );

    // A publication of bytes shows as its length and first bytes.
    const bytes = await hub.api('publish', { channel: 'room:ws', data_b64: 'AAH+/w==' });
    const binary = entries({ dir: 'in', type: 'message', channel: 'room:ws', offset: bytes.body.offset });
    await binary.waitFor();
    assert.equal(await binary.getByTestId('log-data').textContent(), '4 bytes: 00 01 fe ff');

    await page.screenshot({ path: SCREENSHOT });
    await page
      .locator('[data-testid="channel-row"][data-channel="room:ws"]')
      .getByTestId('unsubscribe')
      .click();
    await entries({ dir: 'in', type: 'unsubscribed', channel: 'room:ws' }).waitFor();
    await page.locator('[data-testid="channel-row"][data-channel="room:ws"]').waitFor({ state: 'detached' });
    await disconnect();
    assert.deepEqual(problems, [], 'no console errors in the page');
  });
});
