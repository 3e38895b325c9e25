// The lab's measurements, run in the visitor's browser against the hub that served the page. Each returns plain
// numbers for the table, the charts and the JSON; none of them touches the page.
import { Client, type Subscription } from '@switchboard/client';

export type Transport = 'websocket' | 'sse';
export const TRANSPORTS: readonly Transport[] = ['websocket', 'sse'];

/** A publication of a burst (demos/lab/routes.ts): its number in the burst and the hub's clock when published. */
interface LabMessage {
  readonly seq: number;
  readonly t: number;
  readonly pad: string;
}

export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export interface Stats {
  readonly bytesWritten: { readonly ws: number; readonly sse: number; readonly pusher: number };
  readonly connections: Readonly<Record<string, number>>;
}

const wallNow = (): number => performance.timeOrigin + performance.now();
const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return {
    n: s.length,
    min: round(s[0] ?? Number.NaN),
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(s.at(-1) ?? Number.NaN),
    mean: round(mean),
  };
}

/** Resolves with `what` or rejects after `ms`, so a step that hangs fails with a reason instead. */
function within<T>(ms: number, what: Promise<T>, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    what.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${label}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

async function json<T>(path: string, body?: unknown): Promise<T> {
  const answer = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!answer.ok) throw new Error(`${path} answered ${answer.status}: ${await answer.text()}`);
  return (await answer.json()) as T;
}

export const stats = (): Promise<Stats> => json<Stats>('/lab/api/stats');

export interface BurstResult {
  readonly published: number;
  readonly first: number;
  readonly last: number;
  readonly epoch: string;
}

export const burst = (channel: string, count: number, rate: number, pad = 0): Promise<BurstResult> =>
  json<BurstResult>('/lab/api/burst', { channel, count, rate, pad });

function client(transport: Transport, autoConnect = true): Client {
  // Quick reconnects, as in the demos: the cut measures the resume, not the default backoff.
  return new Client(location.origin, {
    transport,
    autoConnect,
    backoff: { minDelayMs: 100, maxDelayMs: 2_000 },
  });
}

const connected = (c: Client): Promise<void> =>
  new Promise((resolve) => {
    const off = c.on('connected', () => {
      off();
      resolve();
    });
  });

/**
 * The hub's clock minus this page's, from the request of least round trip among `samples` (as NTP does): the
 * hub read its clock somewhere inside the round trip, at best in its middle, so the error is at most half of it.
 */
export async function clockOffset(samples = 12): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < samples; i++) {
    const t0 = wallNow();
    const { t } = await json<{ t: number }>('/lab/api/time');
    const t1 = wallNow();
    if (t1 - t0 < best.rttMs) best = { offsetMs: t - (t0 + t1) / 2, rttMs: t1 - t0 };
  }
  return { offsetMs: round(best.offsetMs, 3), rttMs: round(best.rttMs, 3) };
}

export interface SetupResult {
  /** From `connect()` to the hub's `connected` frame. */
  readonly connected: Summary;
  /** From `connect()` to the first subscription being live (`subscribed`). */
  readonly subscribed: Summary;
}

/** Connection set-up, `rounds` fresh connections on each transport (alternating, so load hits both alike). */
export async function setup(run: string, rounds = 5): Promise<Record<Transport, SetupResult>> {
  const times: Record<Transport, { connected: number[]; subscribed: number[] }> = {
    websocket: { connected: [], subscribed: [] },
    sse: { connected: [], subscribed: [] },
  };
  for (let i = 0; i < rounds; i++) {
    for (const transport of TRANSPORTS) {
      const c = client(transport, false);
      const sub = c.subscribe(`lab:setup-${run}`);
      const t0 = performance.now();
      const up = connected(c).then(() => performance.now() - t0);
      c.connect();
      const [connectedMs, subscribedMs] = await within(
        10_000,
        Promise.all([up, sub.ready().then(() => performance.now() - t0)]),
        `set-up over ${transport}`,
      );
      times[transport].connected.push(connectedMs);
      times[transport].subscribed.push(subscribedMs);
      c.disconnect();
    }
  }
  const out = (t: Transport): SetupResult => ({
    connected: summarize(times[t].connected),
    subscribed: summarize(times[t].subscribed),
  });
  return { websocket: out('websocket'), sse: out('sse') };
}

export interface DownResult {
  readonly latency: Summary;
  /** Latencies in ms, for the histogram. */
  readonly samples: readonly number[];
  readonly received: number;
  /** Bytes the hub wrote on this transport during the burst, divided by the messages. */
  readonly bytesPerMessage: number;
}

export interface Down {
  readonly published: number;
  /** The JSON `data` of one publication, in bytes: what the app sends, before any framing. */
  readonly payloadBytes: number;
  readonly websocket: DownResult;
  readonly sse: DownResult;
}

/**
 * One-way latency and bytes per message: one client per transport on the same channel, one burst stamped with
 * the hub's clock; latency = arrival (page clock + offset) - stamp. The bytes come from the hub's counters of
 * bytes written per transport, read before and after (other pages open on the same hub add to them).
 */
export async function down(run: string, offsetMs: number, count = 300, rate = 100, pad = 64): Promise<Down> {
  const channel = `lab:down-${run}`;
  const clients = { websocket: client('websocket'), sse: client('sse') };
  const latencies: Record<Transport, number[]> = { websocket: [], sse: [] };
  const subs: Subscription<LabMessage>[] = [];
  try {
    for (const t of TRANSPORTS) {
      const sub = clients[t].subscribe<LabMessage>(channel);
      sub.on('message', (m) => latencies[t].push(wallNow() + offsetMs - m.data.t));
      subs.push(sub);
    }
    await within(10_000, Promise.all(subs.map((s) => s.ready())), 'subscribing for the burst');
    const before = await stats();
    const result = await burst(channel, count, rate, pad);
    const deadline = performance.now() + 10_000;
    while (TRANSPORTS.some((t) => latencies[t].length < count) && performance.now() < deadline)
      await sleep(50);
    const after = await stats();
    const one = (t: Transport, key: 'ws' | 'sse'): DownResult => ({
      latency: summarize(latencies[t]),
      samples: latencies[t].map((v) => round(v, 3)),
      received: latencies[t].length,
      bytesPerMessage: round((after.bytesWritten[key] - before.bytesWritten[key]) / count, 1),
    });
    return {
      published: result.published,
      payloadBytes: new TextEncoder().encode(
        JSON.stringify({ seq: count - 1, t: wallNow(), pad: 'x'.repeat(pad) }),
      ).length,
      websocket: one('websocket', 'ws'),
      sse: one('sse', 'sse'),
    };
  } finally {
    for (const c of Object.values(clients)) c.disconnect();
  }
}

/** Messages going up: a publish from the page and its answer (a WebSocket frame; an SSE command POST). */
export async function up(run: string, count = 15): Promise<Record<Transport, Summary>> {
  const out = {} as Record<Transport, Summary>;
  for (const t of TRANSPORTS) {
    const c = client(t);
    try {
      const sub = c.subscribe(`lab:up-${run}`);
      await within(10_000, sub.ready(), `subscribing over ${t}`);
      const times: number[] = [];
      // Fewer than the hub's publish burst (20), so the per-connection publish rate never refuses one.
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        await within(10_000, c.publish(`lab:up-${run}`, { i }), `publishing over ${t}`);
        times.push(performance.now() - t0);
      }
      out[t] = summarize(times);
    } finally {
      c.disconnect();
    }
  }
  return out;
}

export interface CutResult {
  /** From the cut's request to the hub's `connected` on the new connection. */
  readonly reconnectMs: number;
  /** From the cut's request to the subscription live again, resumed from its position. */
  readonly resumedMs: number;
  readonly recovered: boolean;
  readonly published: number;
  readonly received: number;
  /** Publications of the burst never received: must be 0. */
  readonly missed: number;
  readonly duplicates: number;
}

/**
 * Reconnect and resume: a steady stream on a channel with history, the connection cut at the hub in the middle
 * (`POST /demos/cut`, reconnect allowed), then every offset of the burst counted.
 */
export async function cut(run: string, transport: Transport, count = 150, rate = 50): Promise<CutResult> {
  const channel = `lab:cut-${run}-${transport}`;
  const c = client(transport);
  try {
    const sub = c.subscribe<LabMessage>(channel);
    const seen = new Map<number, number>();
    sub.on('message', (m) => seen.set(m.offset, (seen.get(m.offset) ?? 0) + 1));
    await within(10_000, sub.ready(), `subscribing over ${transport}`);
    const id = c.id;
    if (id === undefined) throw new Error('no client id to cut');
    const running = burst(channel, count, rate);
    await sleep(1_000);
    let cutAt = 0;
    const reconnected = connected(c).then(() => performance.now() - cutAt);
    const resumed = new Promise<{ ms: number; recovered: boolean }>((resolve) => {
      const off = sub.on('subscribed', (e) => {
        if (e.since === undefined) return;
        off();
        resolve({ ms: performance.now() - cutAt, recovered: e.recovered === true });
      });
    });
    cutAt = performance.now();
    const answer = await fetch('/demos/cut', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client: id }),
    });
    if (!answer.ok) throw new Error(`the cut answered ${answer.status}`);
    const [reconnectMs, resume, result] = await within(
      20_000,
      Promise.all([reconnected, resumed, running]),
      `the resume over ${transport}`,
    );
    const deadline = performance.now() + 10_000;
    while (!seen.has(result.last) && performance.now() < deadline) await sleep(50);
    let missed = 0;
    let duplicates = 0;
    for (let o = result.first; o <= result.last; o++) {
      const n = seen.get(o) ?? 0;
      if (n === 0) missed++;
      else duplicates += n - 1;
    }
    return {
      reconnectMs: round(reconnectMs, 1),
      resumedMs: round(resume.ms, 1),
      recovered: resume.recovered,
      published: result.published,
      received: seen.size,
      missed,
      duplicates,
    };
  } finally {
    c.disconnect();
  }
}

/** Binary payloads of these sizes, computed (the hub does not carry binary publications yet). */
export const BINARY_SIZES = [16, 1_024, 16_384, 65_536] as const;

export interface BinaryRow {
  readonly payload: number;
  /** One binary WebSocket frame from the hub: the payload and a 2, 4 or 10 byte header. */
  readonly wsFrame: number;
  /** One SSE event carrying the payload in base64: `data: ` + base64 + `\n\n`. */
  readonly sseBase64Event: number;
  readonly ratio: number;
}

/** Encodes a random payload of each size in base64 in this browser and counts bytes: computed, not measured. */
export function binary(): BinaryRow[] {
  return BINARY_SIZES.map((n) => {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65_536)));
    let text = '';
    for (let i = 0; i < n; i += 8_192) text += String.fromCharCode(...bytes.subarray(i, i + 8_192));
    const base64 = btoa(text);
    const wsFrame = n + (n < 126 ? 2 : n < 65_536 ? 4 : 10);
    const sseBase64Event = 'data: '.length + base64.length + 2;
    return { payload: n, wsFrame, sseBase64Event, ratio: round(sseBase64Event / wsFrame, 3) };
  });
}
