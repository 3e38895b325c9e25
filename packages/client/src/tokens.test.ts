// The token flow of contract A (docs/protocol.md) against a small real WebSocket server that speaks it:
// `auth` first, `authed` with `expiresAt`, a refused token (error `unauthorized` + close 4501), an expired
// token (close 4006), and a hub that goes silent; over SSE, a refused (401) and an expired (4006) token.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type WebSocket, WebSocketServer } from 'ws';
import { Client, type ClientStateEvent } from './index.ts';

interface FakeHub {
  url: string;
  connections: number;
  /** Commands received, in order, per connection. */
  received: Record<string, any>[][];
  sockets: WebSocket[];
}

function until(probe: () => boolean, what: () => string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (probe()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out: ${what()}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

describe('tokens (contract A) against a real WebSocket server', () => {
  let wss: WebSocketServer;
  let hub: FakeHub;
  /** Tokens the server accepts, and how long they last. */
  const valid = new Set(['static-ok', 'good', 'fresh-1', 'fresh-2', 'fresh-3']);
  let ttlMs: number | null = null;
  let heartbeat = 60_000;
  const clients: Client[] = [];
  const fast = { backoff: { minDelayMs: 10, maxDelayMs: 50 }, tokenRefreshMarginMs: 100 };

  before(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    hub = {
      url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      connections: 0,
      received: [],
      sockets: [],
    };
    wss.on('connection', (ws) => {
      hub.connections++;
      hub.sockets.push(ws);
      const log: Record<string, any>[] = [];
      hub.received.push(log);
      ws.send(
        JSON.stringify({
          type: 'connected',
          client: `c${hub.connections}`,
          version: 1,
          transport: 'websocket',
          heartbeat,
        }),
      );
      ws.on('message', (data) => {
        const cmd = JSON.parse(String(data));
        log.push(cmd);
        if (cmd.type === 'auth') {
          if (!valid.has(cmd.token)) {
            ws.send(
              JSON.stringify({ type: 'error', id: cmd.id, code: 'unauthorized', message: 'unauthorized' }),
            );
            ws.close(4501, 'unauthorized');
            return;
          }
          ws.send(
            JSON.stringify({
              type: 'authed',
              id: cmd.id,
              user: '42',
              expiresAt: ttlMs === null ? null : Date.now() + ttlMs,
            }),
          );
        }
        if (cmd.type === 'subscribe') {
          ws.send(
            JSON.stringify({
              type: 'subscribed',
              id: cmd.id,
              channel: cmd.channel,
              epoch: 'e1',
              offset: 0,
              recoverable: true,
            }),
          );
        }
      });
    });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    for (const s of hub.sockets) s.terminate();
    await new Promise((r) => wss.close(r));
  });

  const start = (options: ConstructorParameters<typeof Client>[1]) => {
    const before = hub.connections;
    const c = new Client(hub.url, { transport: 'websocket', ...fast, ...options });
    clients.push(c);
    const states: ClientStateEvent[] = [];
    c.on('state', (s) => states.push(s));
    return { c, states, log: () => hub.received.slice(before) };
  };

  it('a static token goes out as the first command, before any subscribe', async () => {
    const { c, log } = start({ token: 'static-ok' });
    const sub = c.subscribe('room');
    await until(
      () => sub.state === 'subscribed',
      () => sub.state,
    );
    const [first, second] = log()[0]!;
    assert.equal(first?.type, 'auth');
    assert.equal(first?.token, 'static-ok');
    assert.equal(second?.type, 'subscribe');
    c.disconnect();
  });

  it('a refused token from getToken() makes the client ask for a fresh one and reconnect', async () => {
    const handed = ['bad', 'good'];
    let calls = 0;
    const { c, log } = start({ token: async () => handed[calls++] ?? 'good' });
    await until(
      () => c.state === 'connected',
      () => c.state,
    );
    assert.equal(calls, 2);
    assert.deepEqual(
      log().map((l) => l[0]?.token),
      ['bad', 'good'],
    );
    c.disconnect();
  });

  it('a refused static token (or a second refusal) ends in disconnected/unauthorized, with no retry loop', async () => {
    const { c, states, log } = start({ token: 'nope' });
    await until(
      () => c.state === 'disconnected',
      () => c.state,
    );
    assert.deepEqual(states.at(-1), {
      from: 'connecting',
      to: 'disconnected',
      reason: 'unauthorized',
      code: 4501,
    });
    assert.equal(log().length, 1);
    let calls = 0;
    const twice = start({ token: () => `bad-${calls++}` });
    await until(
      () => twice.c.state === 'disconnected',
      () => twice.c.state,
    );
    assert.equal(calls, 2, 'asked once more after the first refusal, then gave up');
  });

  it('refreshes the token on the live connection before it expires (same connection, fresh token)', async () => {
    ttlMs = 300;
    let n = 0;
    const { c, log } = start({ token: () => `fresh-${++n}` });
    try {
      await until(
        () => (log()[0] ?? []).filter((m) => m.type === 'auth').length >= 3,
        () => JSON.stringify(log()),
      );
      assert.equal(log().length, 1, 'no reconnect: the refresh went over the same connection');
      assert.deepEqual(
        log()[0]!
          .filter((m) => m.type === 'auth')
          .map((m) => m.token),
        ['fresh-1', 'fresh-2', 'fresh-3'],
      );
      assert.equal(c.state, 'connected');
    } finally {
      ttlMs = null;
      c.disconnect();
    }
  });

  it('a token that expired (close 4006) is replaced: getToken() again, reconnect', async () => {
    let n = 0;
    const { c, states, log } = start({ token: () => (n++ === 0 ? 'fresh-1' : 'fresh-2') });
    await until(
      () => c.state === 'connected',
      () => c.state,
    );
    hub.sockets.at(-1)!.close(4006, 'token_expired');
    await until(
      () => log().length === 2 && c.state === 'connected',
      () => `${log().length} ${c.state}`,
    );
    assert.equal(log()[1]![0]?.token, 'fresh-2');
    assert.ok(states.some((s) => s.reason === 'connection_lost' && s.code === 4006));
    c.disconnect();
  });

  it('a subscription token goes with its subscribe, asked for again at every resubscribe', async () => {
    const { c, log } = start({});
    let asked = 0;
    const sub = c.subscribe('private', { token: async () => `sub-${++asked}` });
    await until(
      () => sub.state === 'subscribed',
      () => sub.state,
    );
    hub.sockets.at(-1)!.close(4000, 'shutdown');
    await until(
      () => log().length === 2 && sub.state === 'subscribed',
      () => `${log().length} ${sub.state}`,
    );
    assert.deepEqual(
      log().map((l) => l.find((m) => m.type === 'subscribe')?.token),
      ['sub-1', 'sub-2'],
    );
    c.disconnect();
  });

  it('a hub that goes silent for longer than its heartbeat allows is replaced', async () => {
    heartbeat = 50;
    try {
      const { c, states } = start({ silenceFactor: 2, silenceGraceMs: 50 });
      await until(
        () => states.some((s) => s.reason === 'silence'),
        () => JSON.stringify(states),
      );
      await until(
        () => c.state === 'connected',
        () => c.state,
      );
      c.disconnect();
    } finally {
      heartbeat = 60_000;
    }
  });
});

describe('tokens over SSE (contract A) against a small real HTTP server', () => {
  let server: Server;
  let url: string;
  const seen: (string | undefined)[] = [];
  const streams: ServerResponse[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const auth = req.headers.authorization;
      seen.push(auth);
      if (auth === 'Bearer bad') {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"error":{"code":"unauthorized","message":"unauthorized"}}');
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const frame = (f: object) => `event: ${(f as { type: string }).type}\ndata: ${JSON.stringify(f)}\n\n`;
      res.write(
        frame({
          type: 'connected',
          client: `c${seen.length}`,
          version: 1,
          transport: 'sse',
          heartbeat: 60_000,
          session: 's',
        }),
      );
      res.write(frame({ type: 'subscribed', channel: 'room', epoch: 'e1', offset: 0, recoverable: true }));
      streams.push(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const s of streams) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it('a refused token (401) is replaced by a fresh one; an expired one (disconnect 4006) too', async () => {
    const handed = ['bad', 'good-1', 'good-2'];
    let n = 0;
    const c = new Client(url, {
      transport: 'sse',
      backoff: { minDelayMs: 10, maxDelayMs: 50 },
      token: () => handed[n++] ?? 'good-x',
    });
    try {
      const sub = c.subscribe('room');
      await until(
        () => sub.state === 'subscribed',
        () => sub.state,
      );
      assert.deepEqual(seen, ['Bearer bad', 'Bearer good-1']);
      const live = streams.at(-1)!;
      live.write(
        'event: disconnect\ndata: {"type":"disconnect","code":4006,"reason":"token_expired","reconnect":true}\n\n',
      );
      live.end();
      await until(
        () => seen.length === 3 && sub.state === 'subscribed',
        () => `${seen.length} ${sub.state}`,
      );
      assert.equal(seen[2], 'Bearer good-2');
    } finally {
      c.disconnect();
    }
  });
});
