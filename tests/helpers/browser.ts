import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium by default; `CHROMIUM_PATH` points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches headless Chromium. A missing browser is an error, never a skip: a browser tier that ran nothing
 * proves nothing, so the tests that need it fail with this message.
 */
export async function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: the browser tests need it. ` +
        'Install it (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH to a Chromium binary.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: 30_000,
  });
}

export interface OpenedPage {
  readonly page: Page;
  /** Console errors and uncaught exceptions of the page (a CSP violation shows up here as a console error). */
  readonly problems: string[];
}

/** A fresh context and page at 1280x800 on `url`, recording what goes wrong in it. */
export async function openPage(browser: Browser, url: string): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    // The hub serves no favicon (a 404 the browser asks for by itself, not something the page did).
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico'))
      problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  const response = await page.goto(url);
  if (response === null || !response.ok())
    throw new Error(`GET ${url} answered ${response?.status() ?? 'nothing'}`);
  return { page, problems };
}

/**
 * Polls `probe` (usually a `page.evaluate`) until it returns something other than undefined.
 * On timeout the error says what was awaited and what the probe saw last.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; lastSeen?: () => Promise<unknown> } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const seen =
        options.lastSeen === undefined ? '' : `; last seen: ${JSON.stringify(await options.lastSeen())}`;
      throw new Error(`timed out waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A frame as the page received it. */
export type PageFrame = { readonly type: string } & Record<string, unknown>;

/** What the recorders below saw in the page, with the page's `Date.now()` (the same clock as the test's). */
export interface Recorded {
  /** Every EventSource event that carried a frame, in arrival order. */
  readonly sse: {
    readonly event: string;
    readonly frame: PageFrame;
    readonly lastEventId: string;
    readonly at: number;
  }[];
  /** EventSource `open` and connection `error` events, with the readyState right after. */
  readonly sseStates: { readonly what: 'open' | 'error'; readonly readyState: number; readonly at: number }[];
  /** Every WebSocket frame, in arrival order. */
  readonly ws: PageFrame[];
  wsClose: { readonly code: number; readonly at: number } | null;
}

type RecordingWindow = { rec?: Recorded };

/**
 * Opens a native `EventSource` on `path` inside the page (so it runs with the page's origin and CSP) and records
 * every frame and every connection state change. Nothing here reconnects: that is the browser's own doing.
 */
export async function recordEventSource(page: Page, path: string): Promise<void> {
  await page.evaluate((path) => {
    const w = window as unknown as RecordingWindow;
    w.rec ??= { sse: [], sseStates: [], ws: [], wsClose: null };
    const rec = w.rec;
    const es = new EventSource(path);
    const onFrame = (e: MessageEvent<string>) =>
      rec.sse.push({ event: e.type, frame: JSON.parse(e.data), lastEventId: e.lastEventId, at: Date.now() });
    for (const type of ['connected', 'subscribed', 'disconnect']) {
      es.addEventListener(type, (e) => onFrame(e as MessageEvent<string>));
    }
    es.addEventListener('message', onFrame);
    es.addEventListener('error', (e) => {
      if (e instanceof MessageEvent) onFrame(e as MessageEvent<string>);
      else rec.sseStates.push({ what: 'error', readyState: es.readyState, at: Date.now() });
    });
    es.addEventListener('open', () =>
      rec.sseStates.push({ what: 'open', readyState: es.readyState, at: Date.now() }),
    );
  }, path);
}

/** Opens a native `WebSocket` to the hub inside the page, subscribes to `channels` and records every frame. */
export async function recordWebSocket(page: Page, channels: readonly string[]): Promise<void> {
  await page.evaluate(
    (channels) =>
      new Promise<void>((resolve, reject) => {
        const w = window as unknown as RecordingWindow;
        w.rec ??= { sse: [], sseStates: [], ws: [], wsClose: null };
        const rec = w.rec;
        const ws = new WebSocket(`ws://${location.host}/ws`);
        ws.addEventListener('message', (e) => rec.ws.push(JSON.parse(String(e.data))));
        ws.addEventListener('close', (e) => {
          rec.wsClose = { code: e.code, at: Date.now() };
        });
        ws.addEventListener('error', () => reject(new Error('the WebSocket failed')));
        ws.addEventListener('open', () => {
          channels.forEach((channel, i) => {
            ws.send(JSON.stringify({ type: 'subscribe', id: i + 1, channel }));
          });
          resolve();
        });
      }),
    channels,
  );
}

export function recorded(page: Page): Promise<Recorded> {
  return page.evaluate(() => {
    const rec = (window as unknown as RecordingWindow).rec;
    if (rec === undefined) throw new Error('nothing is recording in this page');
    return rec;
  });
}
