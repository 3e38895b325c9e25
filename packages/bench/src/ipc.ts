// Messages between the generator's coordinator and its worker processes.

import type { DialectName, Transport, WireVersion } from './dialect.ts';
import type { HistogramPairs } from './histogram.ts';
import type { SeqRanges } from './seq-set.ts';

/** Which subscribers a worker opens: `count` of them, subscriber `i` on `channelOf(first + i)`. */
export interface OpenSpec {
  host: string;
  port: number;
  transport: Transport;
  /** SSE only: each subscriber a stream of a shared HTTP/2 connection (h2c, prior knowledge). */
  http2: boolean;
  dialect: DialectName;
  /** Switchboard's wire version (section 12 of docs/protocol.md); 2 when absent. */
  wire?: WireVersion;
  count: number;
  /** Subscriber i's channel: `channel` when `perSubscriber` is false, else `${channel}${first + i}`. */
  channel: string;
  perSubscriber: boolean;
  first: number;
  /** Connections in flight at once. */
  concurrency: number;
  connectTimeoutMs: number;
  /** Give up opening after this long (ms). */
  deadlineMs: number;
  /** Source addresses to rotate over (empty: let the kernel choose). */
  localAddresses: string[];
}

export interface OpenResult {
  ready: number;
  failed: number;
  /** Failures by code (`ECONNREFUSED`, `http_503`, `timeout`…). */
  errors: Record<string, number>;
  /** Connect-to-live time of each ready subscriber. */
  setup: { pairs: HistogramPairs; max: number };
  /** Wall time of the whole open phase in this worker. */
  ms: number;
}

/** The sequence numbers each channel accepted in a step (channels absent: nothing owed). */
export type Expectation = Array<[channel: string, ranges: SeqRanges]>;

export interface Snapshot {
  received: number;
  totalReceived: number;
  bytes: number;
  /** Publications the live subscribers are owed by the current step and have not received (now). */
  owed: number;
  duplicates: number;
  reordered: number;
  dropped: number;
  latency: { pairs: HistogramPairs; max: number };
  /** Publications received before their send time (the clocks disagree), and the most negative time, µs. */
  negative: number;
  minLatency: number;
  /** Live subscriptions now. */
  open: number;
  /** CPU time used since the last snapshot over the wall time since then (1 = one core busy). */
  cpu: number;
  /** Event-loop delay since the last snapshot, ms. */
  lagP99: number;
  lagMax: number;
}

export type Request =
  | { id: number; type: 'open'; spec: OpenSpec }
  | { id: number; type: 'snapshot' }
  | { id: number; type: 'expect'; expected: Expectation }
  | { id: number; type: 'close' };

export type Reply =
  | { id: number; type: 'open'; result: OpenResult }
  | { id: number; type: 'snapshot'; snapshot: Snapshot }
  | { id: number; type: 'expect' }
  | { id: number; type: 'close' };
