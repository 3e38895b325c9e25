// Bytes in real Chromium with the SDK's browser bundle: a page sends and receives Uint8Array over WebSocket
// (binary frames) and over SSE (base64), identical to what a backend publishes and reads; and an image drawn and
// published in one browser context appears, decoded, in another context over SSE.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchBrowser, openPage } from '../helpers/browser.ts';
import { clientPageFiles } from '../helpers/client-bundle.ts';
import { type Front, startFront } from '../helpers/front.ts';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';

interface BytesLog {
  received: number[][];
  transport: string | undefined;
}

/** Starts a client on `transport` subscribed to `channel`, keeping every payload it gets as a plain array. */
async function startBytesClient(page: Page, channel: string, transport: string): Promise<void> {
  await page.evaluate(
    async ({ channel, transport }) => {
      const sb = await import('/switchboard.js' as string);
      const log = {
        received: [] as number[][],
        kinds: [] as string[],
        transport: undefined as string | undefined,
      };
      const client = new sb.Client(location.origin, { transport });
      client.on('connected', (c: { transport: string }) => {
        log.transport = c.transport;
      });
      const sub = client.subscribe(channel);
      sub.on('message', (m: { data: unknown }) => {
        log.kinds.push(m.data instanceof Uint8Array ? 'bytes' : typeof m.data);
        if (m.data instanceof Uint8Array) log.received.push([...m.data]);
      });
      await sub.ready();
      Object.assign(window, { log, client, sub });
    },
    { channel, transport },
  );
}

const pageLog = (page: Page) => page.evaluate(() => (window as unknown as { log: BytesLog }).log);

describe('bytes in Chromium', () => {
  let hub: TestHub;
  let front: Front;
  let browser: Browser;

  before(async () => {
    browser = await launchBrowser();
    hub = await startTestHub({ channel: { clientPublish: true } });
    front = await startFront(hub.port, await clientPageFiles());
  });
  after(async () => {
    await browser?.close();
    await front?.stop();
    await hub?.shutdown();
  });

  for (const transport of ['websocket', 'sse'] as const) {
    it(`a page sends and receives Uint8Array over ${transport}`, async () => {
      const channel = `page-bytes-${transport}`;
      const { page, problems } = await openPage(browser, front.url);
      // What went over the page's WebSocket, as Chromium saw it: binary frames each way.
      const binaryFrames = { in: 0, out: 0 };
      page.on('websocket', (ws) => {
        ws.on('framereceived', (f) => {
          if (typeof f.payload !== 'string') binaryFrames.in++;
        });
        ws.on('framesent', (f) => {
          if (typeof f.payload !== 'string') binaryFrames.out++;
        });
      });
      await startBytesClient(page, channel, transport);
      // From the page: every byte value, then random ones.
      const sent = await page.evaluate(async () => {
        const bytes = new Uint8Array(1_000);
        crypto.getRandomValues(bytes);
        for (let v = 0; v < 256; v++) bytes[v * 3] = v;
        await (window as unknown as { sub: { publish(d: Uint8Array): Promise<unknown> } }).sub.publish(bytes);
        return [...bytes];
      });
      // From a backend, as an octet-stream body.
      const fromBackend = randomBytes(700);
      for (let v = 0; v < 256; v++) fromBackend[v * 2] = v;
      const res = await fetch(`${hub.url}/api/publish?channel=${channel}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/octet-stream' },
        body: new Uint8Array(fromBackend),
      });
      assert.equal(res.status, 200);
      const log = await eventually(
        'both publications in the page',
        async () => {
          const l = await pageLog(page);
          return l.received.length >= 2 ? l : undefined;
        },
        { lastSeen: () => pageLog(page) },
      );
      assert.equal(log.transport, transport);
      assert.deepEqual(log.received, [sent, [...fromBackend]]);
      assert.deepEqual(binaryFrames, transport === 'websocket' ? { in: 2, out: 1 } : { in: 0, out: 0 });
      // What the page published is stored as the same bytes.
      const history = await hub.api('history', { channel });
      assert.deepEqual([...Buffer.from(history.body.publications[0].data_b64, 'base64')], sent);
      assert.deepEqual(problems, []);
      await page.context().close();
    });
  }

  it('an image published in one browser context appears in another over SSE', async () => {
    const channel = 'page-photos';
    const viewer = await openPage(browser, front.url);
    await startBytesClient(viewer.page, channel, 'sse');
    // The viewer shows every image it gets and records its size once decoded.
    await viewer.page.evaluate(() => {
      const shown: string[] = [];
      Object.assign(window, { shown });
      const sub = (window as unknown as { sub: { on(e: string, f: (m: { data: unknown }) => void): void } })
        .sub;
      sub.on('message', ({ data }) => {
        if (!(data instanceof Uint8Array)) return;
        const img = document.createElement('img');
        img.onload = () => shown.push(`${img.naturalWidth}x${img.naturalHeight}`);
        img.onerror = () => shown.push('error');
        img.src = URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
        document.body.append(img);
      });
    });

    const sender = await openPage(browser, front.url);
    await startBytesClient(sender.page, `${channel}-sender`, 'websocket');
    const size = await sender.page.evaluate(async (channel) => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 40;
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#c33';
      g.fillRect(0, 0, 64, 40);
      g.fillStyle = '#fff';
      g.fillText('sb', 20, 25);
      const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/png'));
      const bytes = new Uint8Array(await blob.arrayBuffer());
      const client = (
        window as unknown as { client: { publish(c: string, d: Uint8Array): Promise<unknown> } }
      ).client;
      await client.publish(channel, bytes);
      return bytes.length;
    }, channel);
    assert.ok(size > 100, `a PNG of ${size} bytes`);

    const shown = await eventually(
      'the image decoded in the viewer',
      () =>
        viewer.page.evaluate(() => {
          const s = (window as unknown as { shown: string[] }).shown;
          return s.length > 0 ? s : undefined;
        }),
      { timeoutMs: 10_000 },
    );
    assert.deepEqual(shown, ['64x40']);
    assert.equal((await pageLog(viewer.page)).transport, 'sse');
    assert.deepEqual(viewer.problems, []);
    assert.deepEqual(sender.problems, []);
    await viewer.page.context().close();
    await sender.page.context().close();
  });
});
