import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BackendCall {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, any>;
}

/** What a route answers: a status and a JSON body, or `'hang'` (never answers). */
export type BackendAnswer = { status?: number; body: unknown } | 'hang';

/**
 * An app backend for proxy hook and webhook tests: a real HTTP server on 127.0.0.1, port 0. Each path answers
 * what the test set with `on(path, …)` (default: `{"result":{}}`); every request is kept, in order.
 */
export class TestBackend {
  readonly calls: BackendCall[] = [];
  readonly #routes = new Map<string, (call: BackendCall) => BackendAnswer | Promise<BackendAnswer>>();
  readonly #server: Server;
  readonly #hanging = new Set<() => void>();
  url = '';

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const call: BackendCall = {
          path: req.url ?? '',
          headers: req.headers,
          body: text === '' ? {} : (JSON.parse(text) as Record<string, any>),
        };
        this.calls.push(call);
        const route = this.#routes.get(call.path);
        const answer = route === undefined ? { body: { result: {} } } : await route(call);
        if (answer === 'hang') {
          const end = () => res.destroy();
          this.#hanging.add(end);
          res.on('close', () => this.#hanging.delete(end));
          return;
        }
        const out = JSON.stringify(answer.body);
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
        res.end(out);
      });
    });
  }

  static async start(): Promise<TestBackend> {
    const b = new TestBackend();
    await new Promise<void>((resolve) => b.#server.listen(0, '127.0.0.1', resolve));
    b.url = `http://127.0.0.1:${(b.#server.address() as AddressInfo).port}`;
    return b;
  }

  on(path: string, answer: (call: BackendCall) => BackendAnswer | Promise<BackendAnswer>): void {
    this.#routes.set(path, answer);
  }

  callsTo(path: string): BackendCall[] {
    return this.calls.filter((c) => c.path === path);
  }

  async close(): Promise<void> {
    for (const end of this.#hanging) end();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A URL on which nothing listens: a port that was free a moment ago (connections are refused). */
export async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}
