import { until } from '@switchboard/test-helpers/wait';
import WebSocket from 'ws';

export type Frame = Record<string, any> & { type: string };

/**
 * A binary frame (docs/protocol.md, "Binary data") as the frame its header is, with its payload as `bytes` and
 * `binary: true`; one that does not read as an envelope is kept as `{type: 'bad-envelope'}`.
 */
function envelopeFrame(data: Buffer): Frame {
  if (data.length < 4) return { type: 'bad-envelope' };
  const length = data.readUInt32BE(0);
  if (4 + length > data.length) return { type: 'bad-envelope' };
  const header = JSON.parse(data.subarray(4, 4 + length).toString('utf8')) as Frame;
  return { ...header, binary: true, bytes: Buffer.from(data.subarray(4 + length)) };
}

/**
 * A test WebSocket client over a real socket: every frame the hub sends is kept in order, and tests wait for the
 * ones they expect. `request` sends a command with a fresh id and resolves with the reply echoing it.
 */
export class WsTestClient {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  closeReason = '';
  #waiters: Array<{ test: (f: Frame) => boolean; resolve: (f: Frame) => void; from: number }> = [];
  #nextId = 1;
  #closed: Promise<void>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      const frame = isBinary ? envelopeFrame(data as Buffer) : (JSON.parse(String(data)) as Frame);
      this.frames.push(frame);
      const index = this.frames.length - 1;
      this.#waiters = this.#waiters.filter((w) => {
        if (index >= w.from && w.test(frame)) {
          w.resolve(frame);
          return false;
        }
        return true;
      });
    });
    this.#closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = String(reason);
        resolve();
      }),
    );
  }

  /** `protocols`: the subprotocols to offer (`switchboard.binary` for publications of bytes as binary frames). */
  static async connect(
    url: string,
    options?: WebSocket.ClientOptions,
    protocols: string[] = [],
  ): Promise<WsTestClient> {
    const ws = new WebSocket(url, protocols, options);
    const client = new WsTestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await client.next((f) => f.type === 'connected');
    return client;
  }

  send(command: unknown): void {
    this.ws.send(typeof command === 'string' ? command : JSON.stringify(command));
  }

  /** Sends `command` with a new id; resolves with the first frame that echoes it (a reply or an error). */
  async request(command: Record<string, unknown>, timeoutMs = 5_000): Promise<Frame> {
    const id = this.#nextId++;
    const reply = this.next((f) => f.id === id, timeoutMs, this.frames.length);
    this.send({ ...command, id });
    return reply;
  }

  /** The first frame (at index >= from, default: any already received) matching `test`. */
  next(test: (f: Frame) => boolean, timeoutMs = 5_000, from = 0): Promise<Frame> {
    for (let i = from; i < this.frames.length; i++)
      if (test(this.frames[i]!)) return Promise.resolve(this.frames[i]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames.slice(-5))}`)),
        timeoutMs,
      );
      this.#waiters.push({
        test,
        from,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  messages(channel?: string): Frame[] {
    return this.frames.filter(
      (f) => f.type === 'message' && (channel === undefined || f.channel === channel),
    );
  }

  /** Resolves when `count` messages (optionally on one channel) have arrived. */
  waitMessages(count: number, channel?: string, timeoutMs = 5_000): Promise<Frame[]> {
    return until(
      () => this.messages(channel).length >= count && this.messages(channel),
      () => `expected ${count} messages, got ${this.messages(channel).length}`,
      timeoutMs,
    );
  }

  closed(): Promise<void> {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    await this.#closed;
  }
}
