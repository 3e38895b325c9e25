// The client SDK in Node when it cannot get there: nothing listening, an upgrade refused by something that is not
// the hub, a stream refused by the hub. Each failed attempt is a `connecting → connecting` state event with its
// reason and close code, and an `error` event with the cause; the client keeps trying, and connects once it can.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import {
  Client,
  type ClientStateEvent,
  type SwitchboardClientError,
} from '../../packages/client/src/index.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

const FAST = { backoff: { minDelayMs: 20, maxDelayMs: 100 } } as const;

/** A client and everything it reported. */
function watch(url: string, options: ConstructorParameters<typeof Client>[1]) {
  const client = new Client(url, { ...FAST, ...options, autoConnect: false });
  const states: ClientStateEvent[] = [];
  const errors: SwitchboardClientError[] = [];
  client.on('state', (s) => states.push(s));
  client.on('error', (e) => errors.push(e));
  client.connect();
  return { client, states, errors };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

describe('a client that cannot connect says so', () => {
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('nothing listening: connect_failed with 1006, an `unavailable` error, again on every attempt', async () => {
    const server = createServer();
    const url = await listen(server);
    await new Promise((r) => server.close(r)); // the port is free again: connections are refused
    const { client, states, errors } = watch(url, { transport: 'websocket' });
    cleanups.push(() => client.disconnect());
    await until(
      () => errors.length >= 2,
      () => `two errors; got ${JSON.stringify(states)}`,
    );
    assert.equal(client.state, 'connecting');
    assert.deepEqual(states[0], { from: 'disconnected', to: 'connecting', reason: 'connect' });
    assert.deepEqual(states[1], {
      from: 'connecting',
      to: 'connecting',
      reason: 'connect_failed',
      code: 1006,
    });
    assert.equal(errors[0]?.code, 'unavailable');
    assert.match(
      errors[0]?.message ?? '',
      new RegExp(`^the WebSocket to ${url} failed before the hub answered \\(close 1006`),
    );
  });

  it('an upgrade refused by a proxy (404): the same, then `auto` falls back to SSE and connects', async () => {
    // Not the hub: a server that answers every request, upgrades included, with a 404 page...
    const hub: TestHub = await startTestHub();
    cleanups.push(() => hub.shutdown());
    const proxy = createServer(async (req, res) => {
      // ...except SSE and its commands, passed on to the hub: a proxy that only lacks WebSocket support.
      const upstream = await fetch(`${hub.url}${req.url}`, { headers: { accept: 'text/event-stream' } });
      res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
      if (upstream.body === null) return void res.end();
      for await (const chunk of upstream.body) res.write(chunk);
      res.end();
    });
    proxy.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
    const url = await listen(proxy);
    cleanups.push(() => {
      proxy.closeAllConnections();
      return new Promise((r) => proxy.close(r));
    });
    const { client, states, errors } = watch(url, { transport: 'auto' });
    cleanups.push(() => client.disconnect());
    const sub = client.subscribe('attempts');
    await sub.ready();
    assert.equal(client.state, 'connected');
    const failed = states.filter((s) => s.reason === 'connect_failed');
    // `auto` moves to SSE after the first WebSocket attempt that fails before `connected`.
    assert.equal(failed.length, 1, JSON.stringify(states));
    for (const s of failed)
      assert.deepEqual(s, { from: 'connecting', to: 'connecting', reason: 'connect_failed', code: 1006 });
    assert.equal(errors.length, 1);
    for (const e of errors) assert.equal(e.code, 'unavailable');
    assert.deepEqual(states.at(-1), { from: 'connecting', to: 'connected', reason: 'connected' });
  });

  it("a stream the hub refuses: the error carries the hub's code", async () => {
    const hub: TestHub = await startTestHub({ server: { allowedOrigins: ['https://app.example'] } });
    cleanups.push(() => hub.shutdown());
    const { client, states, errors } = watch(hub.url, {
      transport: 'sse',
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...init?.headers, origin: 'https://evil.example' } }),
    });
    cleanups.push(() => client.disconnect());
    client.subscribe('attempts');
    await until(
      () => errors.length >= 1,
      () => `an error; got ${JSON.stringify(states)}`,
    );
    assert.equal(errors[0]?.code, 'origin_not_allowed', errors[0]?.message);
    assert.match(
      errors[0]?.message ?? '',
      /^the SSE stream from http:\/\/127\.0\.0\.1:\d+ failed before the hub answered/,
    );
    // A refusal that would fail the same way again is final: the client stops, and says why.
    assert.deepEqual(states[1], {
      from: 'connecting',
      to: 'disconnected',
      reason: 'server_disconnect',
      code: 4502,
    });
  });
});
