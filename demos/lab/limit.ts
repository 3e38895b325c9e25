// The browser's per-origin connection limit: on HTTP/1.1 Chromium, Firefox and Safari open at most 6 connections
// to one origin, and an SSE stream holds one for its whole life, so a 7th stream (a 7th tab, say) waits. The SDK's
// shared-tab connection (`createSharedClient`) gives every tab one stream between them. HTTP/2 multiplexes
// every stream over one connection (the hub serves it over TLS and as h2c), but browsers speak HTTP/2 only over
// TLS and the demos serve plain HTTP, so the lab measures HTTP/1.1.
import { burst, type Stats, stats } from './measure.ts';

export const STREAMS = 7;
/** How long the 7th stream is watched before it is called blocked. */
export const BLOCKED_AFTER_MS = 2_500;

export interface LimitResult {
  readonly streams: number;
  /** Streams whose `open` fired within BLOCKED_AFTER_MS. */
  readonly opened: number;
  readonly seventhBlocked: boolean;
  /** Once one of the first six closed, how long the 7th still took to open. */
  readonly seventhOpenedAfterCloseMs: number;
}

export interface SharedResult {
  readonly tabs: number;
  /** Tabs that received the publication sent to all of them. */
  readonly received: number;
  /** SSE connections the tabs added at the hub (the hub's own count): 1 when shared. */
  readonly sseConnections: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function opened(es: EventSource, ms: number): Promise<number | undefined> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    es.addEventListener(
      'open',
      () => {
        clearTimeout(timer);
        resolve(performance.now() - t0);
      },
      { once: true },
    );
  });
}

/** Seven plain EventSources on this origin: six open, the seventh waits until one of them closes. */
export async function connectionLimit(run: string): Promise<LimitResult> {
  const streams: EventSource[] = [];
  try {
    const first = [];
    for (let i = 0; i < STREAMS - 1; i++) {
      const es = new EventSource(`/sse?channel=lab:limit-${run}-${i}`);
      streams.push(es);
      first.push(opened(es, 10_000));
    }
    const six = await Promise.all(first);
    const seventh = new EventSource(`/sse?channel=lab:limit-${run}-${STREAMS - 1}`);
    streams.push(seventh);
    let seventhOpen = false;
    seventh.addEventListener('open', () => {
      seventhOpen = true;
    });
    await sleep(BLOCKED_AFTER_MS);
    const blocked = !seventhOpen;
    const afterClose = seventhOpen ? Promise.resolve(0) : opened(seventh, 10_000);
    streams[0]?.close();
    const waited = await afterClose;
    return {
      streams: STREAMS,
      opened: six.filter((v) => v !== undefined).length + (blocked ? 0 : 1),
      seventhBlocked: blocked,
      seventhOpenedAfterCloseMs: Math.round((waited ?? Number.NaN) * 10) / 10,
    };
  } finally {
    for (const es of streams) es.close();
  }
}

/** The hub's figures once its SSE count has stopped moving (streams closed a moment ago are still going). */
async function settledStats(): Promise<Stats> {
  let last = await stats();
  for (let i = 0; i < 25; i++) {
    await sleep(200);
    const next = await stats();
    if (next.connections.sse === last.connections.sse) return next;
    last = next;
  }
  return last;
}

interface TabReport {
  readonly type: 'lab-tab';
  readonly tab: number;
  readonly event: 'ready' | 'message';
}

/**
 * Seven "tabs" (same-origin frames, which share the browser's connection pool as tabs do), each with the SDK's
 * shared client over SSE: one leader holds the one stream, the others reach it over BroadcastChannel.
 */
export async function sharedTabs(run: string, host: HTMLElement): Promise<SharedResult> {
  const channel = `lab:tabs-${run}`;
  const ready = new Set<number>();
  const received = new Set<number>();
  const onMessage = (e: MessageEvent<TabReport>) => {
    if (e.origin !== location.origin || e.data?.type !== 'lab-tab') return;
    (e.data.event === 'ready' ? ready : received).add(e.data.tab);
  };
  window.addEventListener('message', onMessage);
  const before = await settledStats();
  const frames: HTMLIFrameElement[] = [];
  try {
    for (let tab = 0; tab < STREAMS; tab++) {
      const frame = document.createElement('iframe');
      frame.className = 'lab-tab';
      frame.title = `tab ${tab + 1}`;
      frame.src = `/lab/tab.html?tab=${tab}&channel=${encodeURIComponent(channel)}&key=lab-${run}`;
      host.append(frame);
      frames.push(frame);
    }
    const deadline = performance.now() + 20_000;
    while (ready.size < STREAMS && performance.now() < deadline) await sleep(50);
    if (ready.size < STREAMS) throw new Error(`only ${ready.size} of ${STREAMS} tabs subscribed`);
    const during: Stats = await stats();
    await burst(channel, 1, 1);
    const until = performance.now() + 10_000;
    while (received.size < STREAMS && performance.now() < until) await sleep(50);
    return {
      tabs: STREAMS,
      received: received.size,
      sseConnections: (during.connections.sse ?? 0) - (before.connections.sse ?? 0),
    };
  } finally {
    window.removeEventListener('message', onMessage);
    for (const f of frames) f.remove();
  }
}
