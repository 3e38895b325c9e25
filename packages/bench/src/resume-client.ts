// One client of the reconnect storm (scenarios/storm-resume.ts): a raw socket, WebSocket or SSE, on one channel,
// that remembers its last position and, when asked, reconnects with it (WebSocket: `subscribe` with `since`;
// SSE: `Last-Event-ID` with the stream's cursor). It records every offset it receives, so the storm can count
// what it lost. Simpler and slower than the generator's Subscriber (it parses each frame as JSON): the storm
// publishes little, and opens many.

import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Transport } from './dialect.ts';
import { headEnd, parseHead } from './http-head.ts';
import { sseCursor } from './resume.ts';
import { SseReader } from './sse-reader.ts';
import { closeFrame, pongFrame, textFrame, upgradeRequest } from './ws-client.ts';
import { WsReader } from './ws-reader.ts';

export interface ResumeClientSpec {
  host: string;
  port: number;
  transport: Transport;
  channel: string;
  localAddress?: string;
  timeoutMs: number;
}

/** What one connection attempt came to: `ok`, or why not (`http_429`, an errno code, `timeout`, `closed`). */
export type AttemptResult = 'ok' | string;

interface Frame {
  type?: string;
  epoch?: string;
  offset?: number;
  recovered?: boolean;
}

export class ResumeClient {
  readonly spec: ResumeClientSpec;
  /** Offset of the first subscription: every publication after it is owed. */
  from = -1;
  epoch: string | undefined;
  /** Offset of the last publication received (or of the subscription, before any). */
  offset = -1;
  readonly received = new Set<number>();
  duplicates = 0;
  /** Whether a resuming subscription was confirmed, and what the hub said of it. */
  resumed = false;
  recovered: boolean | undefined;
  /** Time from the resuming attempt's connect call to its confirmation, ms (the last, successful attempt). */
  setupMs = 0;
  /** True while the connection is up and subscribed. */
  live = false;
  #socket: Socket | null = null;
  #head: Buffer | null = null;
  #ws: WsReader | null = null;
  #sse: SseReader | null = null;
  #started = 0;
  #resuming = false;
  #settle: ((r: AttemptResult) => void) | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(spec: ResumeClientSpec) {
    this.spec = spec;
  }

  get channel(): string {
    return this.spec.channel;
  }

  /** Connects and subscribes (from the last position when `resume`); resolves when live or failed. */
  attempt(resume: boolean): Promise<AttemptResult> {
    this.#resuming = resume;
    this.#started = performance.now();
    this.#head = null;
    this.#ws = null;
    this.#sse = null;
    const { host, port, localAddress } = this.spec;
    const socket = connect({
      host,
      port,
      noDelay: true,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    this.#socket = socket;
    socket.on('connect', () => this.#onConnect());
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.#end(err.code ?? 'error'));
    socket.on('close', () => this.#end('closed'));
    this.#timer = setTimeout(() => this.#end('timeout'), this.spec.timeoutMs);
    return new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  /** Ends the connection with a reset. */
  close(): void {
    this.#socket?.resetAndDestroy();
    this.#end('closed');
  }

  #onConnect(): void {
    const { host, port, transport, channel } = this.spec;
    const authority = `${host}:${port}`;
    if (transport === 'ws') {
      this.#socket?.write(upgradeRequest(authority, '/ws'));
      return;
    }
    const resumeFrom =
      this.#resuming && this.epoch !== undefined
        ? `Last-Event-ID: ${sseCursor(channel, this.epoch, this.offset)}\r\n`
        : '';
    this.#socket?.write(
      `GET /sse?channel=${encodeURIComponent(channel)} HTTP/1.1\r\nHost: ${authority}\r\n` +
        `Accept: text/event-stream\r\n${resumeFrom}\r\n`,
    );
  }

  #onData(chunk: Buffer): void {
    if (this.#ws !== null) return this.#ws.push(chunk);
    if (this.#sse !== null) return this.#sse.push(chunk);
    const buf = this.#head === null ? chunk : Buffer.concat([this.#head, chunk]);
    const end = headEnd(buf);
    if (end < 0) {
      this.#head = buf;
      return;
    }
    this.#head = null;
    const head = parseHead(buf, end);
    const ws = this.spec.transport === 'ws';
    if (head.status !== (ws ? 101 : 200)) return this.#end(`http_${head.status}`);
    if (ws) {
      this.#ws = new WsReader(this);
      const since =
        this.#resuming && this.epoch !== undefined
          ? { since: { epoch: this.epoch, offset: this.offset } }
          : {};
      this.#socket?.write(
        textFrame(JSON.stringify({ type: 'subscribe', id: 1, channel: this.spec.channel, ...since })),
      );
      if (end < buf.length) this.#ws.push(buf.subarray(end));
    } else {
      this.#sse = new SseReader(this);
      if (end < buf.length) this.#sse.push(buf.subarray(end));
    }
  }

  // WsSink and SseSink: the client is its own sink (no closures per connection).
  onMessage(buf: Buffer, start: number, end: number): void {
    this.#frame(JSON.parse(buf.toString('utf8', start, end)) as Frame);
  }

  onEvent(type: string, buf: Buffer, start: number, end: number): void {
    if (type === 'subscribed') this.#frame(JSON.parse(buf.toString('utf8', start, end)) as Frame);
  }

  onPing(payload: Buffer): void {
    this.#socket?.write(pongFrame(payload));
  }

  onClose(): void {
    this.#socket?.write(closeFrame());
    this.#end('closed');
  }

  onError(reason: string): void {
    this.#end(reason);
  }

  #frame(f: Frame): void {
    if (f.type === 'subscribed') {
      if (!this.#resuming) {
        this.epoch = f.epoch;
        this.offset = f.offset ?? 0;
        this.from = this.offset;
      } else {
        this.resumed = true;
        this.recovered = f.recovered;
        this.setupMs = performance.now() - this.#started;
        if (f.recovered === false && f.epoch !== undefined) {
          this.epoch = f.epoch;
          this.offset = f.offset ?? this.offset;
        }
      }
      this.live = true;
      this.#clearTimer();
      this.#settle?.('ok');
      this.#settle = null;
      return;
    }
    if (f.type !== 'message' || f.offset === undefined) return;
    if (this.received.has(f.offset)) this.duplicates++;
    else this.received.add(f.offset);
    if (f.offset > this.offset) this.offset = f.offset;
    if (f.epoch !== undefined) this.epoch = f.epoch;
  }

  #end(code: string): void {
    this.#clearTimer();
    this.live = false;
    if (this.#socket !== null && !this.#socket.destroyed) this.#socket.destroy();
    this.#settle?.(code);
    this.#settle = null;
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
