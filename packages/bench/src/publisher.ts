// The publisher: HTTP/1.1 keep-alive POSTs at a fixed rate, each payload carrying its send time (`t`, ms with
// a fraction) and a round counter (`s`), padded to a fixed size. It measures each POST's round trip and
// counts the deliveries the hub owes for the publishes it accepted.

import { type ClientRequest, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Dialect, PublishRequest } from './dialect.ts';
import { Histogram } from './histogram.ts';
import { ResponseReader } from './http-response.ts';
import type { Expectation } from './ipc.ts';
import { SeqSet } from './seq-set.ts';

export interface PublisherOptions {
  host: string;
  port: number;
  /** Bearer key for the HTTP API; none sent when undefined. */
  apiKey: string | undefined;
  /** Size of the published `data` JSON in bytes. Default 100. */
  payloadBytes?: number;
  /** Pipelined connections (`pipeline`), and publish streams (`stream`). Default 16. */
  sockets?: number;
  /** Most connections with one request each (`request`); more requests wait for one to answer. Default 64. */
  requestSockets?: number;
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
 * How publishes travel: `request`, one keep-alive request each (one in flight per connection, many connections);
 * `pipeline`, HTTP/1.1 requests written back to back on each connection without waiting for the answers (read in
 * order); `stream`, lines of one `POST /api/publish/stream` per connection (Switchboard only), each line answered.
 */
export type PublishMode = 'request' | 'pipeline' | 'stream';

type Outcome = { ok: boolean; code: string; ms: number };

export class Publisher {
  #mode: PublishMode = 'request';
  #http: HttpPool;
  #lanes: StreamLane[] = [];
  #next = 0;
  readonly #opts: Required<Omit<PublisherOptions, 'apiKey'>> & { apiKey: string | undefined };
  readonly #pad: string;
  readonly #sweep: NodeJS.Timeout;
  #seq = 0;

  constructor(opts: PublisherOptions) {
    this.#opts = {
      payloadBytes: 100,
      sockets: 16,
      requestSockets: 64,
      maxInFlight: 512,
      timeoutMs: 10_000,
      ...opts,
    };
    this.#http = this.#pool('request');
    // {"t":1763940000000.123,"s":123456,"p":"…"}: about 40 bytes before the padding.
    this.#pad = 'x'.repeat(Math.max(0, this.#opts.payloadBytes - 42));
    this.#sweep = setInterval(() => this.#http.expire(this.#opts.timeoutMs), 1000);
    this.#sweep.unref();
  }

  #pool(mode: 'request' | 'pipeline'): HttpPool {
    const o = this.#opts;
    return new HttpPool(o.host, o.port, o.apiKey, mode, mode === 'request' ? o.requestSockets : o.sockets);
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
      this.#send(req, (ok, code, ms) => {
        inFlight--;
        run.rtt.record(ms * 1000);
        if (ok) accept(run, req);
        else {
          run.failed++;
          run.errors[code] = (run.errors[code] ?? 0) + 1;
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

  /** Sets how the next publishes travel (ends the connections or streams of the mode before). */
  async setMode(mode: PublishMode): Promise<void> {
    await this.#endLanes();
    if (mode !== this.#mode && mode !== 'stream') {
      await this.#http.end();
      this.#http = this.#pool(mode);
    }
    this.#mode = mode;
  }

  /** Ends the publish streams, once what is in flight is answered. */
  async #endLanes(): Promise<void> {
    const lanes = this.#lanes;
    this.#lanes = [];
    await Promise.all(lanes.map((l) => l.end()));
  }

  /** One publish; its outcome once answered (or failed). */
  post(req: PublishRequest): Promise<Outcome> {
    return new Promise((resolve) => this.#send(req, (ok, code, ms) => resolve({ ok, code, ms })));
  }

  #send(req: PublishRequest, cb: Answer): void {
    if (this.#mode !== 'stream') {
      this.#http.send(req, cb);
      return;
    }
    if (this.#lanes.length === 0) {
      for (let i = 0; i < this.#opts.sockets; i++)
        this.#lanes.push(new StreamLane(this.#opts.host, this.#opts.port, this.#opts.apiKey));
    }
    const lane = this.#lanes[this.#next++ % this.#lanes.length] as StreamLane;
    lane.post(req).then((o) => cb(o.ok, o.code, o.ms));
  }

  close(): void {
    clearInterval(this.#sweep);
    this.#http.destroy();
    for (const l of this.#lanes) l.destroy();
    this.#lanes = [];
  }
}

/** How a publish ended: accepted (2xx), and if not, the status or error code; its round trip in ms. */
type Answer = (ok: boolean, code: string, ms: number) => void;

interface Waiting {
  readonly t0: number;
  readonly cb: Answer;
}

interface Queued {
  readonly wire: string;
  readonly cb: Answer;
}

/**
 * A connection takes at most this many pipelined requests, then the next ones go to a new connection and the old
 * one closes once it has answered them: nginx closes a keep-alive connection after 1,000 requests, and what was
 * pipelined past that would be lost. (One request at a time needs no such bound: the answer that closes the
 * connection says so, and the next request goes to a new one.)
 */
export const PIPELINE_REQUESTS_PER_CONNECTION = 500;

/**
 * The HTTP/1.1 publish connections: raw `node:net` sockets, each request written as one string (request line,
 * headers and body from a template), each answer read by {@link ResponseReader} for its status and framing only.
 * `request`: one request outstanding per connection, up to `size` connections, the rest queued in order;
 * `pipeline`: `size` connections, requests spread over them in turn and written back to back.
 */
export class HttpPool {
  readonly #host: string;
  readonly #port: number;
  readonly #prefix: string;
  readonly #pipeline: boolean;
  readonly #size: number;
  readonly #conns: HttpConn[] = [];
  /** Request mode: connections with nothing outstanding. */
  readonly #idle: HttpConn[] = [];
  /** Request mode: requests waiting for a connection. */
  #queue: Queued[] = [];
  #queueHead = 0;
  #next = 0;

  constructor(
    host: string,
    port: number,
    apiKey: string | undefined,
    mode: 'request' | 'pipeline',
    size: number,
  ) {
    this.#host = host;
    this.#port = port;
    this.#pipeline = mode === 'pipeline';
    this.#size = Math.max(1, size);
    const auth = apiKey === undefined ? '' : `Authorization: Bearer ${apiKey}\r\n`;
    this.#prefix = ` HTTP/1.1\r\nHost: ${host}:${port}\r\n${auth}Content-Type: application/json\r\nContent-Length: `;
  }

  /** The bytes of one request. */
  wire(req: PublishRequest): string {
    return `POST ${req.path}${this.#prefix}${Buffer.byteLength(req.body)}\r\n\r\n${req.body}`;
  }

  send(req: PublishRequest, cb: Answer): void {
    const wire = this.wire(req);
    if (this.#pipeline) {
      this.#pipelineConn().write(wire, cb);
      return;
    }
    const conn = this.#idle.pop() ?? (this.#conns.length < this.#size ? this.#open() : undefined);
    if (conn !== undefined) conn.write(wire, cb);
    else this.#queue.push({ wire, cb });
  }

  #pipelineConn(): HttpConn {
    const i = this.#next++ % this.#size;
    let conn = this.#conns[i];
    if (conn === undefined || !conn.usable || conn.sent >= PIPELINE_REQUESTS_PER_CONNECTION) {
      conn?.retire();
      conn = this.#connect();
      this.#conns[i] = conn;
    }
    return conn;
  }

  #open(): HttpConn {
    const conn = this.#connect();
    this.#conns.push(conn);
    return conn;
  }

  #connect(): HttpConn {
    return new HttpConn(this.#host, this.#port, this.#pipeline, {
      free: (c) => this.#free(c),
      gone: (c) => this.#gone(c),
    });
  }

  /** Request mode: `conn` answered its request and stays open. */
  #free(conn: HttpConn): void {
    const q = this.#dequeue();
    if (q !== undefined) conn.write(q.wire, q.cb);
    else this.#idle.push(conn);
  }

  /** `conn` closed or will take no more requests. */
  #gone(conn: HttpConn): void {
    const i = this.#conns.indexOf(conn);
    if (i !== -1) {
      if (this.#pipeline) this.#conns[i] = this.#connect();
      else this.#conns.splice(i, 1);
    }
    const j = this.#idle.indexOf(conn);
    if (j !== -1) this.#idle.splice(j, 1);
    if (this.#pipeline) return;
    // Queued requests take the place it left.
    while (this.#conns.length < this.#size) {
      const q = this.#dequeue();
      if (q === undefined) break;
      this.#open().write(q.wire, q.cb);
    }
  }

  #dequeue(): Queued | undefined {
    if (this.#queueHead >= this.#queue.length) return undefined;
    const q = this.#queue[this.#queueHead++];
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    return q;
  }

  /** Fails (and closes) the connections whose oldest request has waited more than `ms`. */
  expire(ms: number): void {
    const now = performance.now();
    for (const c of [...this.#conns]) c.expire(now - ms);
  }

  /** Closes every connection once what it has outstanding is answered. */
  async end(): Promise<void> {
    await Promise.all(this.#conns.map((c) => c.closed()));
    this.destroy();
  }

  destroy(): void {
    const conns = this.#conns.splice(0);
    this.#idle.length = 0;
    for (const c of conns) c.destroy();
    for (let q = this.#dequeue(); q !== undefined; q = this.#dequeue()) q.cb(false, 'closed', 0);
  }
}

interface ConnEvents {
  free(conn: HttpConn): void;
  gone(conn: HttpConn): void;
}

/** One keep-alive connection: requests out in order, answers read in order. */
class HttpConn {
  readonly #socket: Socket;
  readonly #reader = new ResponseReader();
  readonly #waiting: Waiting[] = [];
  #head = 0;
  readonly #events: ConnEvents;
  readonly #pipeline: boolean;
  #corked = false;
  #retired = false;
  #error = 'closed';
  #drained: (() => void) | undefined;
  sent = 0;
  /** Open and not told to close: it may take more requests. */
  usable = true;

  constructor(host: string, port: number, pipeline: boolean, events: ConnEvents) {
    this.#events = events;
    this.#pipeline = pipeline;
    this.#socket = connect({ host, port, noDelay: true });
    this.#socket.setEncoding('latin1');
    this.#socket.on('data', (s: string) => this.#read(s));
    this.#socket.on('end', () => {
      // The server closed its side: no more requests here, and a body read until the close is complete.
      this.#closing();
      this.#reader.end((r) => this.#answer(r.status));
    });
    this.#socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#error = err.code ?? 'error';
    });
    this.#socket.on('close', () => this.#closed());
  }

  get outstanding(): number {
    return this.#waiting.length - this.#head;
  }

  write(wire: string, cb: Answer): void {
    this.sent++;
    this.#waiting.push({ t0: performance.now(), cb });
    if (this.#pipeline && !this.#corked) {
      // What is pipelined in one tick goes out in one write.
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    this.#socket.write(wire);
  }

  /** Takes no more requests; closes once it has answered those it has. */
  retire(): void {
    this.#retired = true;
    this.usable = false;
    if (this.outstanding === 0) this.#socket.destroy();
  }

  /** Resolves once the connection is idle or closed. */
  closed(): Promise<void> {
    if (this.outstanding === 0 || this.#socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = resolve;
    });
  }

  expire(before: number): void {
    const w = this.#waiting[this.#head];
    if (w !== undefined && w.t0 < before) {
      this.#error = 'timeout';
      this.#socket.destroy();
    }
  }

  destroy(): void {
    this.usable = false;
    this.#socket.destroy();
  }

  #read(s: string): void {
    try {
      this.#reader.push(s, (r) => {
        // Closing first: a queued request must not be handed to a connection the server is closing.
        if (r.close) this.#closing();
        this.#answer(r.status);
      });
    } catch {
      this.#error = 'bad_response';
      this.#socket.destroy();
    }
  }

  #answer(status: number): void {
    const w = this.#waiting[this.#head];
    if (w === undefined) return; // an answer to nothing: ignored
    this.#waiting[this.#head++] = undefined as unknown as Waiting;
    if (this.#head === this.#waiting.length) {
      this.#waiting.length = 0;
      this.#head = 0;
    }
    w.cb(status >= 200 && status < 300, String(status), performance.now() - w.t0);
    if (this.outstanding > 0) return;
    this.#drained?.();
    this.#drained = undefined;
    if (this.#retired) this.#socket.destroy();
    else if (!this.#pipeline && this.usable) this.#events.free(this);
  }

  /** The server closes after the answer just read. */
  #closing(): void {
    if (!this.usable) return;
    this.usable = false;
    this.#events.gone(this);
  }

  #closed(): void {
    const was = this.usable;
    this.usable = false;
    const code = this.#error;
    const waiting = this.#waiting.slice(this.#head);
    this.#waiting.length = 0;
    this.#head = 0;
    const now = performance.now();
    for (const w of waiting) w.cb(false, code, now - w.t0);
    this.#drained?.();
    this.#drained = undefined;
    if (was) this.#events.gone(this);
  }
}

/** One `POST /api/publish/stream`: each publish a line, each answered by a line, in order. */
class StreamLane {
  readonly #req: ClientRequest;
  readonly #waiting: { readonly t0: number; readonly resolve: (o: Outcome) => void }[] = [];
  #corked = false;
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
      if (!this.#corked) {
        // Lines queued in one tick go out in one write.
        this.#corked = true;
        this.#req.cork();
        process.nextTick(() => {
          this.#corked = false;
          this.#req.uncork();
        });
      }
      this.#req.write(`${req.body}\n`);
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
