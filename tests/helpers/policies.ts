// Shared pieces of the delivery-policy tests: a hot channel fed by a pipelined client publisher, a fast reader
// on either transport, and a probe of how many bytes the hub holds for one connection.

import { until } from '@switchboard/test-helpers/wait';
import type { Session } from '../../packages/server/src/core/session.ts';
import type { TestHub } from './hub.ts';
import { SlowReader } from './slow-reader.ts';
import { SseTestClient } from './sse-client.ts';
import { WsTestClient } from './ws-client.ts';

export type TransportKind = 'websocket' | 'sse';

/** 8 KiB of payload per publication: a few thousand of them are far more than the kernel's socket buffers hold. */
export const FILLER = 'x'.repeat(8 * 1024);

/** A subscriber that reads everything as it comes, over either transport. */
export interface FastReader {
  messages(channel?: string): Record<string, any>[];
  waitMessages(count: number, channel?: string, timeoutMs?: number): Promise<Record<string, any>[]>;
  close(): Promise<void>;
}

export async function fastReader(hub: TestHub, kind: TransportKind, channel: string): Promise<FastReader> {
  if (kind === 'websocket') {
    const c = await WsTestClient.connect(hub.wsUrl);
    await c.request({ type: 'subscribe', channel });
    return c;
  }
  const c = await SseTestClient.open(`${hub.url}/sse?channel=${encodeURIComponent(channel)}`);
  await c.waitFor((e) => e.frame.type === 'subscribed');
  return c;
}

/** A slow reader subscribed to `channel` (with an optional `rate`), not yet paused. */
export function slowReader(
  hub: TestHub,
  kind: TransportKind,
  channel: string,
  rate?: number,
): Promise<SlowReader> {
  if (kind === 'websocket')
    return SlowReader.websocket(hub.url, [
      { type: 'subscribe', id: 1, channel, ...(rate === undefined ? {} : { rate }) },
    ]);
  const query = `channel=${encodeURIComponent(channel)}${rate === undefined ? '' : `&rate=${rate}`}`;
  return SlowReader.sse(hub.url, `/sse?${query}`, 1);
}

/** The hub's session of a reader, found by the client id of its `connected` frame. */
export function sessionOf(hub: TestHub, reader: SlowReader): Session {
  const id = reader.frames.find((f) => f.type === 'connected')?.client;
  for (const s of hub.node.sessions()) if (s.id === id) return s;
  throw new Error(`no session ${String(id)}`);
}

/** How far (in publications) a paced burst lets the reader it follows fall behind: 6 × 8 KiB < the 64 KiB mark. */
const PACE_WINDOW = 6;

/**
 * Publishes `count` publications to `channel` from one WebSocket client, pipelined (the namespace must allow
 * client publishing), and resolves when every one is acknowledged. `sample` runs after each acknowledgement.
 * With `paceBy` (how many the fast reader has received), the burst never runs more than a few publications
 * ahead of that reader: on a shared machine an in-process reader can otherwise fall behind a burst, and on a
 * `latest` or `drop-oldest` channel a reader that falls behind is, rightly, no longer sent everything.
 */
export async function publishBurst(
  hub: TestHub,
  channel: string,
  count: number,
  data: (i: number) => unknown,
  sample: () => void = () => {},
  paceBy?: () => number,
): Promise<void> {
  const pub = await WsTestClient.connect(hub.wsUrl);
  let acked = 0;
  pub.ws.on('message', () => {
    acked++;
    sample();
  });
  // In slices, so the hub's buffers (not this client's) are what fills.
  for (let i = 1; i <= count; i++) {
    if (paceBy !== undefined && paceBy() < i - PACE_WINDOW)
      await until(
        () => paceBy() >= i - PACE_WINDOW,
        () => `the fast reader has ${paceBy()} of ${i - 1}`,
        30_000,
      );
    pub.send({ type: 'publish', id: i, channel, data: data(i) });
    if (i % 100 === 0)
      await until(
        () => acked >= i - 50,
        () => `only ${acked} of ${i} acknowledged`,
        30_000,
      );
  }
  await until(
    () => pub.frames.filter((f) => f.type === 'published').length >= count,
    () => `published ${pub.frames.filter((f) => f.type === 'published').length} of ${count}`,
    30_000,
  );
  const errors = pub.frames.filter((f) => f.type === 'error');
  if (errors.length > 0) throw new Error(`publish failed: ${JSON.stringify(errors[0])}`);
  await pub.close();
}

/** The largest value `probe` returned while `work` ran, sampled by `work` itself and every 2 ms. */
export async function peakDuring(probe: () => number, work: (sample: () => void) => Promise<void>) {
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, probe());
  };
  const timer = setInterval(sample, 2);
  try {
    await work(sample);
  } finally {
    clearInterval(timer);
  }
  sample();
  return peak;
}
