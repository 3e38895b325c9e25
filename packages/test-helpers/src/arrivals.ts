/**
 * Waiting for publications to arrive somewhere (a broker's handler, a WebSocket or SSE client), and, when they do
 * not arrive in time, saying exactly what was seen: which offsets are missing, whether they turned up later
 * (late) or never (lost), and what the caller knows about the state of things (history, connections).
 */

/** Anything with a position: a `Publication`, a client's `Seen`. */
export interface Positioned {
  readonly offset: number;
  readonly epoch?: string;
  readonly data?: unknown;
}

/** One publication's identity: its position and its data (two publications given one offset are told apart). */
const identity = (p: Positioned): string =>
  `${p.epoch ?? ''}:${p.offset}:${typeof p.data === 'string' ? p.data : JSON.stringify(p.data)}`;

/** As the message shows it: the offset, and the data too when the offset alone is ambiguous. */
const shown = (p: Positioned, ambiguous: boolean): string =>
  ambiguous
    ? `${p.offset}(${typeof p.data === 'string' ? p.data : JSON.stringify(p.data)})`
    : String(p.offset);

export interface ArrivalWatch {
  /** Who is waiting, for the message ("node b", "the SSE client on hub b"). */
  readonly who: string;
  /** What is expected (in order), e.g. every acknowledged publication. */
  readonly expected: readonly Positioned[];
  /** What has arrived so far, in arrival order. */
  readonly received: () => readonly Positioned[];
  /** How long to wait before calling it a failure: derive it from the mechanism's own timing. */
  readonly limitMs: number;
  /** On failure: how much longer to watch, to tell late from lost (default 60 s). */
  readonly lateMs?: number;
  /** On failure: the state worth knowing (connections, readiness), as text. */
  readonly state?: () => string | Promise<string>;
  /** On failure, after watching: what history holds (e.g. the offsets on the new master), as text. */
  readonly history?: () => Promise<string>;
}

/** Offsets as a short list: `1..5,8,10..12`. */
export function ranges(offsets: readonly number[]): string {
  const sorted = [...new Set(offsets)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}..${sorted[j]}`);
    i = j + 1;
  }
  return parts.length === 0 ? 'none' : parts.join(',');
}

const missingFrom = (expected: readonly Positioned[], received: readonly Positioned[]): Positioned[] => {
  const got = new Set(received.map(identity));
  return expected.filter((p) => !got.has(identity(p)));
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until every expected offset has arrived and resolves with the milliseconds it took (a figure to report,
 * never to assert on). On timeout it keeps watching for `lateMs`, noting when each missing offset arrives, then
 * fails with what it saw: the missing offsets, which arrived late (and when) and which never did, the caller's
 * state and history.
 */
export async function awaitArrivals(watch: ArrivalWatch): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (missingFrom(watch.expected, watch.received()).length === 0) return Date.now() - start;
    if (Date.now() - start > watch.limitMs) break;
    await sleep(5);
  }
  const missing = missingFrom(watch.expected, watch.received());
  const atLimit = [...watch.received()];
  // Offsets given to two different publications (a master lost some, and its successor handed them out again).
  const reused = new Set(
    [...new Map([...watch.expected, ...atLimit].map((p) => [identity(p), p])).values()]
      .map((p) => p.offset)
      .filter((o, i, all) => all.indexOf(o) !== i),
  );
  const list = (ps: readonly Positioned[]) =>
    reused.size === 0
      ? ranges(ps.map((p) => p.offset))
      : ps.map((p) => shown(p, reused.has(p.offset))).join(',') || 'none';
  const state = watch.state === undefined ? '' : `; state then: ${await watch.state()}`;
  // Late or lost: watch on, noting when each missing publication turns up.
  const lateMs = watch.lateMs ?? 60_000;
  const arrived = new Map<string, number>();
  const watchEnd = Date.now() + lateMs;
  while (arrived.size < missing.length && Date.now() < watchEnd) {
    const got = new Set(watch.received().map(identity));
    for (const p of missing)
      if (!arrived.has(identity(p)) && got.has(identity(p))) arrived.set(identity(p), Date.now() - start);
    await sleep(20);
  }
  const never = missing.filter((p) => !arrived.has(identity(p)));
  const late = missing
    .filter((p) => arrived.has(identity(p)))
    .map(
      (p) => `${shown(p, reused.has(p.offset))} at ${((arrived.get(identity(p)) ?? 0) / 1000).toFixed(1)} s`,
    );
  const history =
    watch.history === undefined ? '' : `; history: ${await watch.history().catch((e: Error) => e.message)}`;
  throw new Error(
    `${watch.who}: after ${watch.limitMs} ms, ${list(missing)} of ${list(watch.expected)} had not arrived ` +
      `(received in order: ${atLimit.map((p) => shown(p, reused.has(p.offset))).join(',') || 'nothing'})` +
      `${reused.size === 0 ? '' : `; offsets given to two different publications: ${ranges([...reused])}`}${state}; ` +
      `watched ${lateMs / 1000} s more: ${late.length === 0 ? 'none arrived late' : `late: ${late.join(', ')}`}, ` +
      `${never.length === 0 ? 'none lost' : `never arrived (lost): ${list(never)}`}${history}`,
  );
}
