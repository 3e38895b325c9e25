// The lab at /lab, run end to end in Chromium on a real hub (the demos' launcher, no demo backends): every step
// produces figures for both transports, a cut at the hub loses nothing, the 7th SSE stream on HTTP/1.1 waits
// while seven tabs on the SDK's shared connection all get their message, and "copy as JSON" copies the results.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { LabResults } from '../../demos/lab/page.ts';
import type { RunningDemos } from '../../demos/launcher.ts';
import { eventually, launchBrowser, openPage } from '../helpers/browser.ts';
import { startTestDemos } from '../helpers/demos.ts';

const positive = (v: number | undefined, what: string) =>
  assert.ok(typeof v === 'number' && Number.isFinite(v) && v > 0, `${what}: ${v}`);

describe('the lab: WebSocket vs SSE', () => {
  let browser: Browser;
  let demos: RunningDemos;

  before(async () => {
    browser = await launchBrowser();
    demos = await startTestDemos([]);
  });
  after(async () => {
    await browser?.close();
    await demos?.stop();
  });

  it('measures both transports, resumes a cut with nothing missed, and shows the 7th-stream wait', async () => {
    const { page, problems } = await openPage(browser, `${demos.url}/lab`);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: demos.url });
    await page.click('#run');
    await eventually(
      'the lab to finish',
      async () => {
        const state = await page.getAttribute('body', 'data-state');
        return state === 'done' || state === 'failed' ? state : undefined;
      },
      { timeoutMs: 120_000, lastSeen: () => page.textContent('#steps') },
    );
    const r = JSON.parse((await page.getAttribute('#results', 'data-json'))!) as LabResults;
    assert.deepEqual(r.errors, []);
    assert.equal(await page.getAttribute('body', 'data-state'), 'done');
    assert.equal(r.protocol, 'http/1.1');

    for (const t of ['websocket', 'sse'] as const) {
      positive(r.setup?.[t].connected.p50, `${t} set-up`);
      assert.equal(r.setup?.[t].connected.n, 5);
      assert.ok(r.setup![t].subscribed.p50 >= r.setup![t].connected.p50, `${t}: subscribed after connected`);
      // Every publication of the burst arrived, with a median latency that is plausible on loopback (the clock
      // offset's error is at most half the round trip it was estimated from).
      assert.equal(r.down?.[t].received, r.down?.published, `${t} received the whole burst`);
      assert.ok(
        r.down![t].latency.p50 > -(r.clock!.rttMs / 2) - 1 && r.down![t].latency.p50 < 2_000,
        `${t} latency ${r.down![t].latency.p50}`,
      );
      // Bytes per message: at least the JSON data, and not much more than it plus framing and the heartbeats.
      assert.ok(
        r.down![t].bytesPerMessage > r.down!.payloadBytes,
        `${t} bytes ${r.down![t].bytesPerMessage}`,
      );
      assert.ok(
        r.down![t].bytesPerMessage < r.down!.payloadBytes + 200,
        `${t} bytes ${r.down![t].bytesPerMessage}`,
      );
      positive(r.up?.[t].p50, `${t} publish round trip`);
      assert.equal(r.up?.[t].n, 15);
      const cut = r.cut?.[t];
      assert.ok(cut !== undefined, `${t} cut`);
      assert.equal(cut.missed, 0, `${t}: nothing missed after the cut`);
      assert.equal(cut.duplicates, 0, `${t}: nothing twice`);
      assert.equal(cut.recovered, true);
      assert.equal(cut.received, cut.published);
      positive(cut.reconnectMs, `${t} reconnect`);
      assert.ok(cut.resumedMs >= cut.reconnectMs, `${t}: resumed after reconnecting`);
    }
    // SSE events carry more framing than WebSocket frames (`data:`, `id:`, blank line against a 2-4 byte header).
    assert.ok(r.down!.sse.bytesPerMessage > r.down!.websocket.bytesPerMessage);

    // HTTP/1.1: six streams open, the seventh waits until one of them closes.
    assert.equal(r.limit?.seventhBlocked, true, JSON.stringify(r.limit));
    assert.equal(r.limit?.opened, 6);
    positive(r.limit?.seventhOpenedAfterCloseMs, 'the 7th stream once another closed');
    // Seven tabs on the shared connection: one stream at the hub, and all seven got the message.
    assert.deepEqual(r.shared, { tabs: 7, received: 7, sseConnections: 1 });

    assert.equal(r.binary?.computed, true);
    for (const b of r.binary!.rows)
      assert.ok(b.sseBase64Event > b.wsFrame && b.ratio > 1.3, JSON.stringify(b));

    // What a person sees: the tables and the charts are filled.
    assert.ok((await page.$$('#results tbody tr')).length >= 14);
    assert.equal(await page.getAttribute('#limits td[data-blocked]', 'data-blocked'), 'true');
    assert.equal((await page.$$('#binary tbody tr')).length, 4);
    for (const chart of ['#chart-latency', '#chart-times', '#chart-bytes'])
      assert.ok((await page.$$(`${chart} svg rect`)).length > 0, `${chart} drawn`);

    // "Copy as JSON" copies the same results.
    await page.click('#copy');
    await eventually('copied', async () => ((await page.textContent('#copied')) ? true : undefined));
    const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText())) as LabResults;
    assert.deepEqual(copied, r);

    // 中文: the same tables in Chinese.
    await page.click('button[data-lang="zh"]');
    assert.match((await page.textContent('#results tbody'))!, /单向延迟/);
    assert.deepEqual(problems, []);
  });

  it('is linked from the demos index, and its API refuses bad bursts with a coded error', async () => {
    const index = await (await fetch(`${demos.url}/demos/`)).text();
    assert.match(index, /href="\/lab"/);
    const burst = (body: unknown) =>
      fetch(`${demos.url}/lab/api/burst`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    for (const [body, status, code] of [
      [{ channel: 'chat:x', count: 1, rate: 1 }, 400, 'bad_request'],
      [{ channel: 'lab:x', count: 100_000, rate: 1 }, 400, 'bad_request'],
      [{ channel: 'lab:x', count: 1, rate: 1, pad: 1e9 }, 400, 'bad_request'],
      ['{not json', 400, 'invalid_json'],
      [JSON.stringify({ pad: 'x'.repeat(10_000) }), 413, 'payload_too_large'],
    ] as const) {
      const answer = await burst(body);
      assert.equal(answer.status, status, JSON.stringify(body).slice(0, 80));
      assert.equal(((await answer.json()) as { error: { code: string } }).error.code, code);
    }
    const ok = await burst({ channel: 'lab:api-check', count: 3, rate: 100 });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { published: number }).published, 3);
    const stats = (await (await fetch(`${demos.url}/lab/api/stats`)).json()) as {
      bytesWritten: Record<string, number>;
    };
    assert.deepEqual(Object.keys(stats.bytesWritten).sort(), ['pusher', 'sse', 'ws']);
    assert.equal((await fetch(`${demos.url}/lab/api/nothing`)).status, 404);
  });
});
