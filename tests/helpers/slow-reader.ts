import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { until } from '@switchboard/test-helpers/wait';

export type Frame = Record<string, any> & { type: string };

/**
 * A deliberately slow subscriber on a raw TCP socket: it subscribes (WebSocket upgrade or SSE request written by
 * hand), then `pause()` stops reading the socket altogether, so the kernel buffers fill and the hub sees a peer
 * that does not keep up. `resume()` reads again; every frame that arrived is parsed and kept in order.
 */
export class SlowReader {
  readonly socket: Socket;
  readonly kind: 'websocket' | 'sse';
  readonly frames: Frame[] = [];
  /** SSE `id:` of the last event that had one. */
  lastEventId = '';
  #buffer: Buffer = Buffer.alloc(0);
  #headersDone = false;
  #ended: Promise<void>;

  private constructor(socket: Socket, kind: 'websocket' | 'sse') {
    this.socket = socket;
    this.kind = kind;
    this.#ended = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {
      // A reset from the hub (it destroyed a slow consumer) ends the reader; `closed()` reports it.
    });
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
  }

  /** Opens `/ws` on the hub at `baseUrl`, sends each `subscribe` command, waits for their `subscribed` replies. */
  static async websocket(baseUrl: string, commands: readonly Record<string, unknown>[]): Promise<SlowReader> {
    const url = new URL(baseUrl);
    const socket = connect(Number(url.port), url.hostname);
    const reader = new SlowReader(socket, 'websocket');
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET /ws HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await until(
      () => reader.frames.some((f) => f.type === 'connected'),
      () => 'no connected frame',
    );
    for (const command of commands) socket.write(maskedTextFrame(JSON.stringify(command)));
    await until(
      () => reader.frames.filter((f) => f.type === 'subscribed').length >= commands.length,
      () => `expected ${commands.length} subscribed frames, got ${JSON.stringify(reader.frames)}`,
    );
    return reader;
  }

  /** Opens `GET <pathAndQuery>` (an SSE stream) and waits for `subscribed` events, one per channel. */
  static async sse(baseUrl: string, pathAndQuery: string, channels: number): Promise<SlowReader> {
    const url = new URL(baseUrl);
    const socket = connect(Number(url.port), url.hostname);
    const reader = new SlowReader(socket, 'sse');
    socket.write(`GET ${pathAndQuery} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`);
    await until(
      () => reader.frames.filter((f) => f.type === 'subscribed').length >= channels,
      () => `expected ${channels} subscribed events, got ${JSON.stringify(reader.frames)}`,
    );
    return reader;
  }

  /** Stops reading the socket: the hub's writes pile up in the kernel, then in the hub. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  messages(channel?: string): Frame[] {
    return this.frames.filter(
      (f) => f.type === 'message' && (channel === undefined || f.channel === channel),
    );
  }

  closed(): Promise<void> {
    return this.#ended;
  }

  close(): void {
    this.socket.destroy();
  }

  #parse(): void {
    if (!this.#headersDone) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = this.#buffer.subarray(0, end).toString('latin1');
      if (!/^HTTP\/1\.1 (101|200)/.test(head))
        throw new Error(`unexpected response: ${head.split('\r\n')[0]}`);
      this.#headersDone = true;
      this.#buffer = this.#buffer.subarray(end + 4);
    }
    if (this.kind === 'websocket') this.#parseWs();
    else this.#parseSse();
  }

  #parseWs(): void {
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      const opcode = b[0]! & 0x0f;
      let len = b[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      if (b.length < at + len) return;
      const payload = b.subarray(at, at + len);
      this.#buffer = b.subarray(at + len);
      if (opcode === 1) this.frames.push(JSON.parse(payload.toString('utf8')) as Frame);
      else if (opcode === 8)
        this.frames.push({ type: 'close', code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005 });
    }
  }

  #parseSse(): void {
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end === -1) return;
      const block = this.#buffer.subarray(0, end).toString('utf8');
      this.#buffer = this.#buffer.subarray(end + 2);
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('data: ')) data.push(line.slice(6));
        else if (line.startsWith('id: ')) this.lastEventId = line.slice(4);
      }
      if (data.length > 0) this.frames.push(JSON.parse(data.join('\n')) as Frame);
    }
  }
}

/** A client-to-server text frame (clients must mask). */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const head =
    payload.length < 126
      ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const body = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([head, mask, body]);
}
