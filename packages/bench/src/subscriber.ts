// One subscriber: a raw `node:net` socket that does the WebSocket upgrade or the SSE request by hand and reads
// only what it must (message boundaries, the send time, the sequence). Far cheaper than a real client, so one
// generator core can hold many thousands of them.

import type { ClientHttp2Session, ClientHttp2Stream } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Dialect, Transport } from './dialect.ts';
import { headEnd, parseHead } from './http-head.ts';
import { KEY_SEQ, KEY_T, readNumberField } from './scan.ts';
import { SeqSet } from './seq-set.ts';
import { Dechunker, SseReader } from './sse-reader.ts';
import type { WorkerStats } from './worker-stats.ts';
import { closeFrame, pongFrame, textFrame, upgradeRequest } from './ws-client.ts';
import { WsReader } from './ws-reader.ts';

export interface SubscriberSpec {
  host: string;
  port: number;
  transport: Transport;
  dialect: Dialect;
  channel: string;
  /** Source address (a loopback alias spreads connections over more ephemeral ports). */
  localAddress?: string;
  /** Time allowed from connect to a live subscription. */
  connectTimeoutMs: number;
  /** SSE over HTTP/2: the subscriber is one stream of this connection instead of a socket of its own. */
  session?: ClientHttp2Session;
}

export interface SubscriberEvents {
  ready(sub: Subscriber, ms: number): void;
  /** The subscription never became live; `code` is an errno code, `http_<status>`, `timeout` or `closed`. */
  fail(sub: Subscriber, code: string): void;
  /** A live subscription ended without the generator asking. */
  drop(sub: Subscriber): void;
}

/**
 * One read buffer for every socket of this process: with `onread`, Node reads straight into it and calls back
 * synchronously, so there is no Buffer allocation and no stream 'data' event per read. Everything a parser
 * keeps past the callback it copies.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

const HEAD = 0;
const LIVE = 1;
const DONE = 2;

export class Subscriber {
  readonly #spec: SubscriberSpec;
  readonly #stats: WorkerStats;
  readonly #events: SubscriberEvents;
  /** The subscriber's own socket (HTTP/1.1, WebSocket), or its HTTP/2 stream. */
  readonly #socket: Socket | ClientHttp2Stream;
  readonly #started = performance.now();
  #state = HEAD;
  #ready = false;
  #head: Buffer | null = null;
  #feed: ((chunk: Buffer) => void) | null = null;
  /** Every payload sequence number this subscriber has received. */
  readonly #seen = new SeqSet();
  /** What the current step owes this subscriber (set by `expect`), or null. */
  #expected: SeqSet | null = null;
  #owed = 0;
  #timer: NodeJS.Timeout | null;

  constructor(spec: SubscriberSpec, stats: WorkerStats, events: SubscriberEvents) {
    this.#spec = spec;
    this.#stats = stats;
    this.#events = events;
    if (spec.session !== undefined) {
      this.#socket = this.#openStream(spec.session);
      this.#timer = setTimeout(() => this.#fail('timeout'), spec.connectTimeoutMs);
      this.#timer.unref();
      return;
    }
    const opts = spec.localAddress === undefined ? {} : { localAddress: spec.localAddress };
    this.#socket = connect({
      host: spec.host,
      port: spec.port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array): boolean => {
          this.#onData(buf as Buffer, n);
          return true;
        },
      },
      ...opts,
    });
    this.#timer = setTimeout(() => this.#fail('timeout'), spec.connectTimeoutMs);
    this.#timer.unref();
    this.#socket.on('connect', () => this.#onConnect());
    this.#socket.on('error', (err: NodeJS.ErrnoException) => this.#fail(err.code ?? 'error'));
    this.#socket.on('close', () => this.#fail('closed'));
  }

  /** Ends the connection with a reset: no TIME_WAIT left on the generator's ports between scenarios. */
  close(): void {
    if (this.#state === DONE) return;
    this.#state = DONE;
    this.#clearTimer();
    const s = this.#socket;
    if ('resetAndDestroy' in s) s.resetAndDestroy();
    else s.close();
  }

  /** An SSE request as a stream of `session`: the head is the stream's response, the body its DATA frames. */
  #openStream(session: ClientHttp2Session): ClientHttp2Stream {
    const stream = session.request({
      ':path': this.#spec.dialect.ssePath(this.#spec.channel),
      accept: 'text/event-stream',
    });
    stream.on('response', (headers) => {
      const status = Number(headers[':status']);
      if (status !== 200) return this.#fail(`http_${status}`);
      this.#state = LIVE;
      this.#feed = this.#sseFeed(false);
    });
    stream.on('data', (chunk: Buffer) => this.#onData(chunk, chunk.length));
    stream.on('error', (err: NodeJS.ErrnoException) => this.#fail(err.code ?? 'error'));
    stream.on('close', () => this.#fail('closed'));
    return stream;
  }

  get channel(): string {
    return this.#spec.channel;
  }

  /**
   * The sequence numbers this subscriber's channel accepted in the step: from now on it counts, in the
   * worker's `owed`, those it has not received (any it already has are taken off first). Replaces the
   * previous step's expectation, whose remainder was that step's loss.
   */
  expect(expected: SeqSet | undefined): void {
    this.#expected = expected ?? null;
    this.#owed = expected === undefined ? 0 : expected.size - expected.countIn(this.#seen);
    this.#stats.owed += this.#owed;
  }

  /** Publications this subscriber is owed by the current step and has not received. */
  get owed(): number {
    return this.#owed;
  }

  #onConnect(): void {
    const { host, port, transport, dialect, channel } = this.#spec;
    const authority = `${host}:${port}`;
    if (transport === 'ws') this.#socket.write(upgradeRequest(authority, dialect.wsPath(channel)));
    else {
      this.#socket.write(
        `GET ${dialect.ssePath(channel)} HTTP/1.1\r\nHost: ${authority}\r\nAccept: text/event-stream\r\n\r\n`,
      );
    }
  }

  #onData(shared: Buffer, n: number): void {
    const stats = this.#stats;
    stats.now = performance.timeOrigin + performance.now();
    stats.bytes += n;
    const chunk = shared.subarray(0, n);
    if (this.#feed !== null) {
      this.#feed(chunk);
      return;
    }
    const buf = this.#head === null ? chunk : Buffer.concat([this.#head, chunk]);
    const end = headEnd(buf);
    if (end < 0) {
      this.#head = Buffer.from(buf); // the read buffer is reused by the next read
      if (buf.length > 16_384) this.#fail('bad_head');
      return;
    }
    this.#head = null;
    const head = parseHead(buf, end);
    const want = this.#spec.transport === 'ws' ? 101 : 200;
    if (head.status !== want) return this.#fail(`http_${head.status}`);
    this.#state = LIVE;
    this.#feed = this.#spec.transport === 'ws' ? this.#wsFeed() : this.#sseFeed(head.chunked);
    if (this.#spec.dialect.readyOnHandshake) this.#markReady();
    if (end < buf.length) this.#feed(buf.subarray(end));
  }

  #wsFeed(): (chunk: Buffer) => void {
    const { dialect, channel } = this.#spec;
    for (const text of dialect.wsOpen(channel)) this.#socket.write(textFrame(text));
    const reader = new WsReader({
      onMessage: (buf, s, e) => {
        if (this.#publication(buf, s, e)) return;
        const r = dialect.control(buf.toString('utf8', s, e), channel);
        if (r === 'subscribed') this.#markReady();
        else if (r !== null) for (const text of r) this.#socket.write(textFrame(text));
      },
      onPing: (payload) => this.#socket.write(pongFrame(payload)),
      onClose: () => {
        this.#socket.write(closeFrame());
        this.#fail('closed');
      },
      onError: () => this.#fail('bad_frame'),
    });
    return (chunk) => reader.push(chunk);
  }

  #sseFeed(chunked: boolean): (chunk: Buffer) => void {
    const reader = new SseReader({
      onMessage: (buf, s, e) => {
        this.#publication(buf, s, e);
      },
      onEvent: (type) => {
        if (type === 'subscribed') this.#markReady();
      },
      onError: () => this.#fail('bad_event'),
    });
    if (!chunked) return (chunk) => reader.push(chunk);
    const dechunker = new Dechunker((part) => reader.push(part));
    return (chunk) => dechunker.push(chunk);
  }

  /**
   * Records a publication; false when the message carries no send time (not a publication). Each is
   * identified by the payload's sequence number `s` (the publisher's round, or a channel's cycle in the
   * many-channels scenario): a number seen before is a duplicate, one below the highest seen arrived late.
   */
  #publication(buf: Buffer, s: number, e: number): boolean {
    const t = readNumberField(buf, s, e, KEY_T);
    if (Number.isNaN(t)) return false;
    const stats = this.#stats;
    stats.received++;
    stats.totalReceived++;
    stats.recordLatency((stats.now - t) * 1000);
    const seq = readNumberField(buf, s, e, KEY_SEQ);
    if (Number.isNaN(seq)) return true;
    const seen = this.#seen;
    const late = seq < seen.max;
    if (!seen.add(seq)) {
      if (seq >= seen.floor) stats.duplicates++;
      return true;
    }
    if (late) stats.reordered++;
    if (this.#owed > 0 && this.#expected?.has(seq) === true) {
      this.#owed--;
      stats.owed--;
    }
    return true;
  }

  #markReady(): void {
    if (this.#ready) return;
    this.#ready = true;
    this.#clearTimer();
    this.#events.ready(this, performance.now() - this.#started);
  }

  #fail(code: string): void {
    if (this.#state === DONE) return;
    this.#state = DONE;
    this.#clearTimer();
    this.#socket.destroy();
    if (this.#ready) this.#events.drop(this);
    else this.#events.fail(this, code);
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
