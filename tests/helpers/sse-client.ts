import { type IncomingMessage, request } from 'node:http';
import type { ClientHttp2Session, IncomingHttpHeaders, IncomingHttpStatusHeader } from 'node:http2';
import { until } from '@switchboard/test-helpers/wait';

export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
  retry: number | undefined;
  /** `data` parsed as JSON (every Switchboard event's data is a frame). */
  frame: Record<string, any>;
}

/**
 * A test SSE client on a raw HTTP request: it parses the stream exactly as the WHATWG algorithm does (field
 * lines, multi-line data, comments, `id`, `retry`), and keeps the raw bytes too, so tests can assert on both.
 */
export class SseTestClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  raw = '';
  lastEventId = '';
  retry: number | undefined;
  response!: IncomingMessage;
  /** Over HTTP/2 (`openHttp2`): the response's headers, `:status` included. */
  http2Headers: (IncomingHttpHeaders & IncomingHttpStatusHeader) | undefined;
  #buffer = '';
  #ended: Promise<void>;
  #endResolve!: () => void;
  #cancel!: () => void;
  #pause!: () => void;

  private constructor() {
    this.#ended = new Promise((r) => {
      this.#endResolve = r;
    });
  }

  /** Opens `url`; resolves once the response headers are in (whatever the status). */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseTestClient> {
    const client = new SseTestClient();
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        client.response = res;
        client.#pause = () => res.pause();
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.#feed(chunk));
        res.on('end', () => client.#endResolve());
        res.on('close', () => client.#endResolve());
        resolve(client);
      });
      client.#cancel = () => req.destroy();
      req.on('error', (err) => {
        client.#endResolve();
        reject(err);
      });
      req.end();
    });
  }

  /** Opens `path` as one stream of an HTTP/2 connection; resolves once the response headers are in. */
  static openHttp2(
    session: ClientHttp2Session,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<SseTestClient> {
    const client = new SseTestClient();
    return new Promise((resolve, reject) => {
      const stream = session.request({ ':path': path, accept: 'text/event-stream', ...headers });
      client.#cancel = () => stream.close();
      client.#pause = () => stream.pause();
      stream.setEncoding('utf8');
      stream.on('response', (h) => {
        client.http2Headers = h;
        resolve(client);
      });
      stream.on('data', (chunk: string) => client.#feed(chunk));
      stream.on('close', () => client.#endResolve());
      stream.on('error', (err) => {
        client.#endResolve();
        reject(err);
      });
    });
  }

  #feed(chunk: string): void {
    this.raw += chunk;
    this.#buffer += chunk;
    let data: string[] | null = null;
    let event = '';
    let id: string | undefined;
    let retry: number | undefined;
    for (;;) {
      // Parse one whole event at a time: only when a blank line has arrived.
      const block = /(\r\n|\r|\n)(\r\n|\r|\n)/.exec(this.#buffer);
      if (block === null) break;
      const text = this.#buffer.slice(0, block.index);
      this.#buffer = this.#buffer.slice(block.index + block[0].length);
      data = null;
      event = '';
      id = undefined;
      retry = undefined;
      for (const line of text.split(/\r\n|\r|\n/)) {
        if (line.startsWith(':')) {
          this.comments.push(line.slice(1).trimStart());
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') {
          data ??= [];
          data.push(value);
        } else if (field === 'event') event = value;
        else if (field === 'id' && !value.includes('\0')) id = value;
        else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
      }
      if (id !== undefined) this.lastEventId = id;
      if (retry !== undefined) this.retry = retry;
      if (data !== null) {
        const joined = data.join('\n');
        let frame: Record<string, any> = {};
        try {
          frame = JSON.parse(joined);
        } catch {
          // not JSON: left empty for the test to notice
        }
        this.events.push({ event: event || 'message', data: joined, id, retry, frame });
      }
    }
  }

  frames(type?: string): Record<string, any>[] {
    return this.events.filter((e) => type === undefined || e.frame.type === type).map((e) => e.frame);
  }

  messages(channel?: string): Record<string, any>[] {
    return this.frames('message').filter((f) => channel === undefined || f.channel === channel);
  }

  waitFor(test: (e: SseEvent) => boolean, timeoutMs = 5_000): Promise<SseEvent> {
    return until(
      () => this.events.find(test),
      () => `no such event; last: ${JSON.stringify(this.events.slice(-5).map((e) => e.data))}`,
      timeoutMs,
    );
  }

  waitMessages(count: number, channel?: string, timeoutMs = 5_000): Promise<Record<string, any>[]> {
    return until(
      () => this.messages(channel).length >= count && this.messages(channel),
      () => `expected ${count} messages, got ${this.messages(channel).length}`,
      timeoutMs,
    );
  }

  ended(): Promise<void> {
    return this.#ended;
  }

  /** Stops reading: what the hub sends stays in its buffers (a slow consumer). */
  pause(): void {
    this.#pause();
  }

  close(): Promise<void> {
    this.#cancel();
    return this.#ended;
  }
}
