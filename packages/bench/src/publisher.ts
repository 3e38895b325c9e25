// The publisher: HTTP/1.1 keep-alive POSTs at a fixed rate, each payload carrying its send time (`t`, ms with
// a fraction) and a round counter (`s`), padded to a fixed size. It measures each POST's round trip and
// counts the deliveries the hub owes for the publishes it accepted.

import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dialect, PublishRequest } from './dialect.ts';
import { Histogram } from './histogram.ts';
import type { Expectation } from './ipc.ts';
import { SeqSet } from './seq-set.ts';

export interface PublisherOptions {
  host: string;
  port: number;
  /** Bearer key for the HTTP API; none sent when undefined. */
  apiKey: string | undefined;
  /** Size of the published `data` JSON in bytes. Default 100. */
  payloadBytes?: number;
  /** Keep-alive connections to the hub. Default 16. */
  sockets?: number;
  /** Requests in flight before the publisher counts itself as the limit and skips a round. Default 512. */
  maxInFlight?: number;
  /** Per-request timeout, ms. Default 10,000. */
  timeoutMs?: number;
}

/** One request of a round, with the number of deliveries the hub owes once it accepts it. */
export interface RoundRequest extends PublishRequest {
  deliveries: number;
  /** The channels it publishes to, and the sequence number `s` its payload carries on each. */
  channels: readonly string[];
  seq: number;
}

/** A round's requests, given its payload and the sequence number `s` in that payload. */
export type Round = (data: string, seq: number) => RoundRequest[];

export interface PublishRun {
  rounds: number;
  requests: number;
  ok: number;
  failed: number;
  /** Rounds not sent because too many requests were in flight: the publisher, not the hub, was the limit. */
  skipped: number;
  /** Failures by HTTP status or error code. */
  errors: Record<string, number>;
  /** POST round trips, µs. */
  rtt: Histogram;
  /** Deliveries the hub owes for the accepted publishes. */
  expected: number;
  /** The sequence numbers each channel accepted: what each of its subscribers is owed. */
  accepted: Map<string, SeqSet>;
  ms: number;
}

/** A round of one publish to `channel`, owed to each of its `subscribers`. */
export function oneChannel(dialect: Dialect, channel: string, subscribers: number): Round {
  return (data, seq) => [
    { ...dialect.publish(channel, data), deliveries: subscribers, channels: [channel], seq },
  ];
}

/** The accepted sequence numbers in the form the workers take. */
export function expectation(run: PublishRun): Expectation {
  return [...run.accepted].map(([channel, seqs]) => [channel, seqs.ranges()]);
}

function accept(run: PublishRun, req: RoundRequest): void {
  run.ok++;
  run.expected += req.deliveries;
  for (const channel of req.channels) {
    let seqs = run.accepted.get(channel);
    if (seqs === undefined) {
      seqs = new SeqSet();
      run.accepted.set(channel, seqs);
    }
    seqs.add(req.seq);
  }
}

export class Publisher {
  readonly #agent: Agent;
  readonly #opts: Required<Omit<PublisherOptions, 'apiKey'>> & { apiKey: string | undefined };
  readonly #pad: string;
  #seq = 0;

  constructor(opts: PublisherOptions) {
    this.#opts = {
      payloadBytes: 100,
      sockets: 16,
      maxInFlight: 512,
      timeoutMs: 10_000,
      ...opts,
    };
    this.#agent = new Agent({ keepAlive: true, maxSockets: this.#opts.sockets });
    // {"t":1763940000000.123,"s":123456,"p":"…"}: about 40 bytes before the padding.
    this.#pad = 'x'.repeat(Math.max(0, this.#opts.payloadBytes - 42));
  }

  /** A payload stamped now; `s` is the round counter, one more per round sent. */
  payload(seq: number): string {
    return `{"t":${performance.timeOrigin + performance.now()},"s":${seq},"p":"${this.#pad}"}`;
  }

  /** Publishes `rate` rounds per second for `durationMs`, then waits for the answers. */
  async runRate(rate: number, durationMs: number, round: Round): Promise<PublishRun> {
    const run = emptyRun();
    const started = performance.now();
    let inFlight = 0;
    let due = 0;
    let idle: (() => void) | null = null;
    const send = (req: RoundRequest): void => {
      inFlight++;
      run.requests++;
      this.post(req).then((r) => {
        inFlight--;
        run.rtt.record(r.ms * 1000);
        if (r.ok) accept(run, req);
        else {
          run.failed++;
          run.errors[r.code] = (run.errors[r.code] ?? 0) + 1;
        }
        if (inFlight === 0) idle?.();
      });
    };
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const elapsed = performance.now() - started;
        const target = Math.floor((Math.min(elapsed, durationMs) * rate) / 1000);
        for (; due < target; due++) {
          if (inFlight >= this.#opts.maxInFlight) {
            run.skipped++;
            continue;
          }
          run.rounds++;
          const seq = ++this.#seq;
          for (const req of round(this.payload(seq), seq)) send(req);
        }
        if (elapsed >= durationMs) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 1);
      tick();
    });
    if (inFlight > 0) {
      await new Promise<void>((resolve) => {
        idle = resolve;
        setTimeout(resolve, this.#opts.timeoutMs).unref();
      });
    }
    run.ms = performance.now() - started;
    return run;
  }

  /** Keeps `concurrency` publishes in flight for `durationMs`: the most the API answers per second. */
  async runClosedLoop(
    concurrency: number,
    durationMs: number,
    make: (data: string, seq: number) => RoundRequest,
  ): Promise<PublishRun> {
    const run = emptyRun();
    const started = performance.now();
    const loop = async (): Promise<void> => {
      while (performance.now() - started < durationMs) {
        const seq = ++this.#seq;
        const req = make(this.payload(seq), seq);
        run.rounds++;
        run.requests++;
        const r = await this.post(req);
        run.rtt.record(r.ms * 1000);
        if (r.ok) accept(run, req);
        else {
          run.failed++;
          run.errors[r.code] = (run.errors[r.code] ?? 0) + 1;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    run.ms = performance.now() - started;
    return run;
  }

  post(req: PublishRequest): Promise<{ ok: boolean; code: string; ms: number }> {
    const t0 = performance.now();
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(req.body),
    };
    if (this.#opts.apiKey !== undefined) headers.authorization = `Bearer ${this.#opts.apiKey}`;
    return new Promise((resolve) => {
      let settled = false;
      const done = (ok: boolean, code: string): void => {
        if (settled) return;
        settled = true;
        resolve({ ok, code, ms: performance.now() - t0 });
      };
      const r = request(
        {
          agent: this.#agent,
          host: this.#opts.host,
          port: this.#opts.port,
          method: 'POST',
          path: req.path,
          headers,
          timeout: this.#opts.timeoutMs,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          res.resume();
          res.on('end', () => done(status >= 200 && status < 300, String(status)));
          res.on('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? 'error'));
        },
      );
      r.on('timeout', () => r.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      r.on('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? 'error'));
      r.end(req.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function emptyRun(): PublishRun {
  return {
    rounds: 0,
    requests: 0,
    ok: 0,
    failed: 0,
    skipped: 0,
    errors: {},
    rtt: new Histogram(),
    expected: 0,
    accepted: new Map(),
    ms: 0,
  };
}
