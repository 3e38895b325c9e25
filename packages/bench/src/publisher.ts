// The publisher: HTTP/1.1 keep-alive POSTs at a fixed rate, each payload carrying its send time (`t`, ms with
// a fraction) and a round counter (`s`), padded to a fixed size. It measures each POST's round trip and
// counts the deliveries the hub owes for the publishes it accepted.

import { Agent, type ClientRequest, request } from 'node:http';
import { connect, type Socket } from 'node:net';
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

/**
 * How publishes travel: `request`, one keep-alive request each (node:http's agent, one in flight per connection);
 * `pipeline`, HTTP/1.1 requests written back to back on each connection without waiting for the answers (read in
 * order); `stream`, lines of one `POST /api/publish/stream` per connection (Switchboard only), each line answered.
 */
export type PublishMode = 'request' | 'pipeline' | 'stream';

type Outcome = { ok: boolean; code: string; ms: number };

export class Publisher {
  readonly #agent: Agent;
  #mode: PublishMode = 'request';
  #lanes: Lane[] = [];
  #next = 0;
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
    // A publish stream ends with the step: a hub may bound how long one request lasts.
    if (this.#mode === 'stream') await this.#endLanes();
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

  /** Sets how the next publishes travel (ends the lanes of the mode before). */
  async setMode(mode: PublishMode): Promise<void> {
    await this.#endLanes();
    this.#mode = mode;
  }

  /** Ends the pipelined connections or publish streams, once what is in flight is answered. */
  async #endLanes(): Promise<void> {
    const lanes = this.#lanes;
    this.#lanes = [];
    await Promise.all(lanes.map((l) => l.end()));
  }

  post(req: PublishRequest): Promise<Outcome> {
    if (this.#mode === 'request') return this.#request(req);
    if (this.#lanes.length === 0) {
      for (let i = 0; i < this.#opts.sockets; i++)
        this.#lanes.push(
          this.#mode === 'pipeline'
            ? new PipelineLane(this.#opts.host, this.#opts.port, this.#opts.apiKey)
            : new StreamLane(this.#opts.host, this.#opts.port, this.#opts.apiKey),
        );
    }
    const lane = this.#lanes[this.#next++ % this.#lanes.length] as Lane;
    return lane.post(req);
  }

  #request(req: PublishRequest): Promise<Outcome> {
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
    for (const l of this.#lanes) l.destroy();
    this.#lanes = [];
  }
}

interface Lane {
  post(req: PublishRequest): Promise<Outcome>;
  end(): Promise<void>;
  destroy(): void;
}

interface Waiting {
  readonly t0: number;
  readonly resolve: (o: Outcome) => void;
}

/** Writes queued this tick go out in one write (cork until the next tick). */
function corked(
  stream: { cork(): void; uncork(): void },
  write: () => void,
  state: { corked: boolean },
): void {
  if (!state.corked) {
    state.corked = true;
    stream.cork();
    process.nextTick(() => {
      state.corked = false;
      stream.uncork();
    });
  }
  write();
}

/**
 * Requests written back to back on an HTTP/1.1 connection; answers are read in order. A connection takes at most
 * {@link PIPELINE_REQUESTS_PER_CONNECTION} requests, then a new one is opened and the old one closed once it has
 * answered them (nginx closes a keep-alive connection after 1,000 requests; what was pipelined past that would be
 * lost).
 */
class PipelineLane implements Lane {
  readonly #host: string;
  readonly #port: number;
  readonly #auth: string;
  #conn: PipelineConn;

  constructor(host: string, port: number, apiKey: string | undefined) {
    this.#host = host;
    this.#port = port;
    this.#auth = apiKey === undefined ? '' : `Authorization: Bearer ${apiKey}\r\n`;
    this.#conn = new PipelineConn(host, port);
  }

  post(req: PublishRequest): Promise<Outcome> {
    if (this.#conn.closed || this.#conn.sent >= PIPELINE_REQUESTS_PER_CONNECTION) {
      this.#conn.retire();
      this.#conn = new PipelineConn(this.#host, this.#port);
    }
    const head =
      `POST ${req.path} HTTP/1.1\r\nHost: ${this.#host}:${this.#port}\r\n${this.#auth}` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(req.body)}\r\n\r\n`;
    return this.#conn.post(head + req.body);
  }

  async end(): Promise<void> {
    this.destroy();
  }

  destroy(): void {
    this.#conn.retire();
  }
}

const PIPELINE_REQUESTS_PER_CONNECTION = 500;

class PipelineConn {
  readonly #socket: Socket;
  readonly #waiting: Waiting[] = [];
  readonly #cork = { corked: false };
  #buf = '';
  #retired = false;
  sent = 0;
  closed = false;

  constructor(host: string, port: number) {
    this.#socket = connect(port, host);
    this.#socket.setNoDelay(true);
    this.#socket.setEncoding('latin1');
    this.#socket.on('data', (s: string) => this.#read(s));
    this.#socket.on('error', () => {});
    this.#socket.on('close', () => {
      this.closed = true;
      for (const w of this.#waiting.splice(0))
        w.resolve({ ok: false, code: 'closed', ms: performance.now() - w.t0 });
    });
  }

  post(wire: string): Promise<Outcome> {
    this.sent++;
    return new Promise((resolve) => {
      this.#waiting.push({ t0: performance.now(), resolve });
      corked(this.#socket, () => this.#socket.write(wire), this.#cork);
    });
  }

  /** No more requests: closed once every answer is in. */
  retire(): void {
    this.#retired = true;
    if (this.#waiting.length === 0) this.#socket.destroy();
  }

  #read(s: string): void {
    this.#buf += s;
    for (;;) {
      const headEnd = this.#buf.indexOf('\r\n\r\n');
      if (headEnd === -1) break;
      const head = this.#buf.slice(0, headEnd);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      let end: number;
      if (length !== null) end = headEnd + 4 + Number(length[1]);
      else {
        // Chunked: the small answers here end with the last chunk (searched from the head's last CRLF on: an
        // empty body is that CRLF and the last chunk).
        const last = this.#buf.indexOf('\r\n0\r\n\r\n', headEnd + 2);
        if (last === -1) break;
        end = last + 7;
      }
      if (this.#buf.length < end) break;
      const status = Number(head.slice(9, 12));
      this.#buf = this.#buf.slice(end);
      const w = this.#waiting.shift();
      w?.resolve({ ok: status >= 200 && status < 300, code: String(status), ms: performance.now() - w.t0 });
    }
    if (this.#retired && this.#waiting.length === 0) this.#socket.destroy();
  }
}

/** One `POST /api/publish/stream`: each publish a line, each answered by a line, in order. */
class StreamLane implements Lane {
  readonly #req: ClientRequest;
  readonly #waiting: Waiting[] = [];
  readonly #cork = { corked: false };
  readonly #ended: Promise<void>;
  #buf = '';

  constructor(host: string, port: number, apiKey: string | undefined) {
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
    if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
    this.#req = request({ host, port, method: 'POST', path: '/api/publish/stream', headers, agent: false });
    this.#req.on('error', () => this.#fail('error'));
    this.#ended = new Promise((resolve) => {
      this.#req.on('close', resolve);
      this.#req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (s: string) => (status === 200 ? this.#read(s) : undefined));
        res.on('end', () => {
          this.#fail(String(status === 200 ? 'ended' : status));
          resolve();
        });
        res.on('error', () => {});
      });
    });
    this.#req.flushHeaders();
  }

  post(req: PublishRequest): Promise<Outcome> {
    return new Promise((resolve) => {
      this.#waiting.push({ t0: performance.now(), resolve });
      corked(this.#req, () => this.#req.write(`${req.body}\n`), this.#cork);
    });
  }

  #read(s: string): void {
    this.#buf += s;
    let nl = this.#buf.indexOf('\n');
    while (nl !== -1) {
      const line = this.#buf.slice(0, nl);
      this.#buf = this.#buf.slice(nl + 1);
      const w = this.#waiting.shift();
      const error = /"error":\{"code":"([a-z_]+)"/.exec(line);
      w?.resolve({ ok: error === null, code: error?.[1] ?? '200', ms: performance.now() - w.t0 });
      nl = this.#buf.indexOf('\n');
    }
  }

  #fail(code: string): void {
    for (const w of this.#waiting.splice(0)) w.resolve({ ok: false, code, ms: performance.now() - w.t0 });
  }

  async end(): Promise<void> {
    this.#req.end();
    await this.#ended;
  }

  destroy(): void {
    this.#req.destroy();
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
