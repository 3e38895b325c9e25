import { createServer, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

/** A static file the front serves itself (the SDK bundle, a test page). */
export interface StaticFile {
  readonly type: string;
  readonly body: string | Buffer;
}

export interface Front {
  /** `http://127.0.0.1:<port>`: the same origin for the static files and the proxied hub. */
  readonly url: string;
  readonly port: number;
  readonly files: Map<string, StaticFile>;
  /** When true, WebSocket upgrades are refused with 403, as a proxy that does not speak WebSocket would. */
  refuseUpgrades: boolean;
  /** Breaks every proxied connection at once, without a close frame or a clean end (both sides see a reset). */
  cut(): void;
  /** Stops listening (and cuts); `listen()` starts again on the same port. */
  stop(): Promise<void>;
  listen(): Promise<void>;
  /** Proxied connections that are open now (HTTP requests and WebSocket tunnels). */
  readonly open: number;
  /** Every request that came through (upgrades included): method, URL and headers. */
  readonly requests: {
    method: string;
    url: string;
    headers: Record<string, string | string[] | undefined>;
  }[];
}

/**
 * A real reverse proxy in front of a hub, on 127.0.0.1: it serves a few static files itself (so a page, its
 * scripts and the hub share one origin) and forwards everything else — HTTP requests, SSE streams, WebSocket
 * upgrades — byte for byte. Tests use it to break connections mid-stream and to refuse upgrades, without
 * touching the hub.
 */
export async function startFront(hubPort: number, files: Record<string, StaticFile> = {}): Promise<Front> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  let server: Server;
  let port = 0;
  const front: Front = {
    url: '',
    port: 0,
    files: new Map(Object.entries(files)),
    refuseUpgrades: false,
    cut() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    async stop() {
      front.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    listen,
    get open() {
      return sockets.size;
    },
    requests: [],
  };

  function build(): Server {
    const s = createServer((req, res) => {
      front.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const file = front.files.get(new URL(req.url ?? '/', 'http://front.invalid').pathname);
      if (file !== undefined && req.method === 'GET') {
        res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' });
        res.end(file.body);
        return;
      }
      const up = request(
        {
          host: '127.0.0.1',
          port: hubPort,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent: false,
        },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          res.flushHeaders();
          upRes.pipe(res);
        },
      );
      up.on('socket', track);
      up.on('error', () => res.destroy());
      res.on('close', () => up.destroy());
      req.pipe(up);
    });
    s.on('connection', track);
    s.on('upgrade', (req, socket: Socket, head: Buffer) => {
      front.requests.push({ method: 'UPGRADE', url: req.url ?? '', headers: req.headers });
      track(socket);
      if (front.refuseUpgrades) {
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      const up = connect(hubPort, '127.0.0.1', () => {
        let head0 = `${req.method} ${req.url} HTTP/1.1\r\n`;
        for (let i = 0; i < req.rawHeaders.length; i += 2)
          head0 += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
        up.write(`${head0}\r\n`);
        if (head.length > 0) up.write(head);
        socket.pipe(up).pipe(socket);
      });
      track(up);
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
      socket.on('close', () => up.destroy());
      up.on('close', () => socket.destroy());
    });
    return s;
  }

  async function listen(): Promise<void> {
    server = build();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    port = address.port;
    Object.assign(front, { port, url: `http://127.0.0.1:${port}` });
  }

  await listen();
  return front;
}

/** The hub's open client connections, as its `/metrics` reports them (every transport). */
export async function hubConnections(hubUrl: string): Promise<number> {
  const text = await (await fetch(`${hubUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^switchboard_connections\{[^}]*\} (\d+)/.exec(line);
    if (m !== null) total += Number(m[1]);
  }
  return total;
}
