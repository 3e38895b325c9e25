// The acceptance tests in real Chromium: a native EventSource on two channels resumes exactly after the
// hub ends its stream, and a native WebSocket in the same page sees the same publications at the same positions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeCursor } from '@switchboard/protocol';
import type { Browser, Page } from 'playwright-core';
import {
  eventually,
  launchBrowser,
  openPage,
  type PageFrame,
  type Recorded,
  recordEventSource,
  recorded,
  recordWebSocket,
} from '../helpers/browser.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

const CHANNELS = ['a', 'b'] as const;
const SSE_PATH = '/sse?channel=a&channel=b';
const RETRY_MS = 1_500;

interface Expected {
  epoch: string;
  offset: number;
  data: unknown;
}

/** A channel's messages as `{epoch, offset, data}`, in arrival order. */
function positions(frames: readonly PageFrame[], channel: string): Expected[] {
  return frames
    .filter((f) => f.type === 'message' && f.channel === channel)
    .map((f) => ({ epoch: f.epoch as string, offset: f.offset as number, data: f.data }));
}

const sseFrames = (r: Recorded): PageFrame[] => r.sse.map((e) => e.frame);

describe('native EventSource and WebSocket in Chromium', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];
  const sseRequests: { url: string; lastEventId: string | undefined }[] = [];
  const expected = new Map<string, Expected[]>(CHANNELS.map((c) => [c, []]));

  async function publish(channel: string, data: unknown): Promise<void> {
    const p = await hub.publish(channel, data);
    expected.get(channel)!.push({ epoch: p.epoch, offset: p.offset, data });
  }

  /** Waits until the EventSource (and, if asked, the WebSocket) has every expected publication. */
  async function allArrived(transports: ('sse' | 'ws')[]): Promise<Recorded> {
    return eventually(
      `every publication over ${transports.join(' and ')}`,
      async () => {
        const r = await recorded(page);
        for (const t of transports) {
          const frames = t === 'sse' ? sseFrames(r) : r.ws;
          for (const c of CHANNELS)
            if (positions(frames, c).length < expected.get(c)!.length) return undefined;
        }
        return r;
      },
      { lastSeen: async () => (await recorded(page)).sse.map((e) => e.frame).slice(-6) },
    );
  }

  before(async () => {
    browser = await launchBrowser();
    hub = await startTestHub({ sse: { retryMs: RETRY_MS } });
    ({ page, problems } = await openPage(browser, `${hub.url}/`));
    page.on('request', async (req) => {
      if (!new URL(req.url()).pathname.startsWith('/sse')) return;
      const headers = await req.allHeaders();
      sseRequests.push({ url: req.url(), lastEventId: headers['last-event-id'] });
    });
  });

  after(async () => {
    await browser?.close();
    await hub?.shutdown();
  });

  it('an EventSource on two channels and a WebSocket receive publications made through the HTTP API', async () => {
    await recordEventSource(page, SSE_PATH);
    await recordWebSocket(page, CHANNELS);
    const r = await eventually('both subscriptions on both transports', async () => {
      const rec = await recorded(page);
      const subscribed = (frames: PageFrame[]) => frames.filter((f) => f.type === 'subscribed').length;
      return subscribed(sseFrames(rec)) === 2 && subscribed(rec.ws) === 2 ? rec : undefined;
    });
    // A fresh stream asked for no position, so its `subscribed` events say nothing about recovery.
    for (const f of sseFrames(r).filter((f) => f.type === 'subscribed')) assert.equal(f.recovered, undefined);

    await publish('a', { n: 'a1', text: 'première ✓' });
    await publish('b', { n: 'b1' });
    await publish('a', { n: 'a2', text: 'two\nlines' });
    await publish('b', { n: 'b2' });
    await publish('a', { n: 'a3' });
    const got = await allArrived(['sse', 'ws']);
    for (const c of CHANNELS) {
      assert.deepEqual(positions(sseFrames(got), c), expected.get(c), `EventSource, channel ${c}`);
      assert.deepEqual(positions(got.ws, c), expected.get(c), `WebSocket, channel ${c}`);
    }
  });

  it('after the hub ends the stream, the EventSource reconnects by itself and gets exactly what it missed', async () => {
    const before = await recorded(page);
    const connected = before.sse.filter((e) => e.event === 'connected');
    assert.equal(connected.length, 1);
    const cursorBefore = before.sse.at(-1)!.lastEventId;
    const decoded = decodeCursor(cursorBefore, [...CHANNELS]);
    assert.ok(decoded.ok, `the last id is a cursor: ${cursorBefore}`);
    assert.deepEqual(
      decoded.positions,
      CHANNELS.map((c) => ({
        epoch: expected.get(c)!.at(-1)!.epoch,
        offset: expected.get(c)!.at(-1)!.offset,
      })),
    );

    const res = await hub.api('disconnect', { client: connected[0]!.frame.client, reconnect: true });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { disconnected: 1 });
    const dropped = await eventually('the EventSource to notice the end of the stream', async () => {
      const r = await recorded(page);
      return r.sseStates.find((s) => s.what === 'error');
    });
    assert.equal(dropped.readyState, 0, 'CONNECTING: the browser is going to reconnect by itself');

    // Published while the browser waits out its retry delay (at least RETRY_MS).
    await publish('b', { n: 'b3' });
    await publish('a', { n: 'a4' });
    await publish('b', { n: 'b4' });
    await publish('a', { n: 'a5' });
    const missedUntil = Date.now();
    const missed = new Map(CHANNELS.map((c) => [c, expected.get(c)!.slice(-2)]));

    await eventually(
      'the EventSource to reconnect and resume',
      async () => {
        const rec = await recorded(page);
        return rec.sse.filter((e) => e.event === 'subscribed').length === 4 ? rec : undefined;
      },
      { timeoutMs: 15_000 },
    );
    // Live again: these go out to the resumed stream as they happen.
    await publish('a', { n: 'a6' });
    await publish('b', { n: 'b5' });
    const final = await allArrived(['sse', 'ws']);

    // The hub said why it ended the stream, then the browser waited for the retry hint and came back once.
    const disconnects = final.sse.filter((e) => e.event === 'disconnect').map((e) => e.frame);
    assert.deepEqual(disconnects, [
      { type: 'disconnect', code: 4004, reason: 'reconnect_requested', reconnect: true },
    ]);
    const states = final.sseStates.map((s) => `${s.what}:${s.readyState}`);
    assert.deepEqual(states, ['open:1', 'error:0', 'open:1']);
    const delay = final.sseStates[2]!.at - final.sseStates[1]!.at;
    assert.ok(
      delay >= RETRY_MS - 50 && delay < 3 * RETRY_MS + 5_000,
      `reconnected after ${delay} ms: the hub's retry hint spreads it over [${RETRY_MS}, ${3 * RETRY_MS}) ms`,
    );
    assert.ok(missedUntil < final.sseStates[2]!.at, 'the missed publications were made before the reconnect');
    const ids = final.sse.filter((e) => e.event === 'connected').map((e) => e.frame.client);
    assert.equal(ids.length, 2);
    assert.notEqual(ids[0], ids[1]);

    // The browser reconnected to the same URL by itself, sending the last cursor it had seen as Last-Event-ID.
    assert.equal(sseRequests.length, 2, JSON.stringify(sseRequests));
    assert.equal(sseRequests[0]!.lastEventId, undefined);
    assert.equal(sseRequests[1]!.url, sseRequests[0]!.url);
    assert.equal(sseRequests[1]!.lastEventId, cursorBefore);

    // Both channels were recovered, and the publications made meanwhile were already in history at that point,
    // so they came through recovery, right after their channel's `subscribed`, and not as live messages.
    const after = final.sse.slice(final.sse.findIndex((e, i) => i > 0 && e.event === 'connected'));
    for (const c of CHANNELS) {
      const i = after.findIndex((e) => e.event === 'subscribed' && e.frame.channel === c);
      const sub = after[i]!.frame;
      const last = missed.get(c)!.at(-1)!;
      assert.equal(sub.recovered, true, `channel ${c} recovered`);
      assert.equal(sub.recoverable, true);
      assert.deepEqual({ epoch: sub.epoch, offset: sub.offset }, { epoch: last.epoch, offset: last.offset });
      const next = after.slice(i + 1).filter((e) => e.frame.channel === c);
      assert.deepEqual(
        positions(
          next.slice(0, 2).map((e) => e.frame),
          c,
        ),
        missed.get(c),
      );
    }

    // In all: every publication on both channels, in order, none lost, none twice.
    for (const c of CHANNELS) {
      assert.deepEqual(positions(sseFrames(final), c), expected.get(c), `EventSource, channel ${c}`);
    }
    assert.equal(expected.get('a')!.length, 6);
    assert.equal(expected.get('b')!.length, 5);
    assert.deepEqual(
      final.sse.filter((e) => e.event === 'error'),
      [],
      'no error events',
    );
  });

  it('the WebSocket in the same page received the same publications at the same positions', async () => {
    const r = await recorded(page);
    assert.equal(r.wsClose, null, 'the WebSocket stayed open throughout');
    for (const c of CHANNELS) {
      assert.deepEqual(positions(r.ws, c), expected.get(c), `WebSocket, channel ${c}`);
      assert.deepEqual(
        positions(r.ws, c),
        positions(sseFrames(r), c),
        `WebSocket and EventSource agree on ${c}`,
      );
    }
    const wsSubscribed = r.ws.filter((f) => f.type === 'subscribed').map((f) => [f.id, f.channel, f.offset]);
    assert.deepEqual(
      wsSubscribed.sort((x, y) => Number(x[0]) - Number(y[0])),
      [
        [1, 'a', 0],
        [2, 'b', 0],
      ],
    );
    assert.deepEqual(
      r.ws.filter((f) => f.type === 'error'),
      [],
    );
    assert.deepEqual(problems, [], 'no console errors in the page');
  });
});
