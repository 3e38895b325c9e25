// One publish request per message (issue 23), hub CPU time only: a hub started in this process (`startServer`,
// the memory engine), and a child process holding one SSE subscriber per channel on a raw socket that discards
// what it reads and driving `POST /api/publish` over raw keep-alive sockets (each publish to one channel with its
// one subscriber, one request in flight per connection). The hub process's CPU time (`process.cpuUsage()`, user and
// system) over the measured publishes, divided by their number, is the hub's cost per publish: the request, the
// answer, the publish and the delivery to its one subscriber. The driver's own time is in the child, not counted.
//
//   node bench/publish-loop.ts [checkout] [channels] [publishes] [connections]
//
// `checkout` is the repository whose server code is measured (default: this one), so a base worktree and a
// branch can be run alternately. Add `--cpu-prof` to node's options to profile the hub (the child is not).

import { fork } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const API_KEY = 'bench-publish-loop-key';

if (process.argv[2] === '--driver') {
  await drive();
} else {
  await measure();
}

async function measure(): Promise<void> {
  const checkout = resolve(process.argv[2] ?? '.');
  const channels = Number(process.argv[3] ?? 200);
  const publishes = Number(process.argv[4] ?? 20_000);
  const connections = Number(process.argv[5] ?? 8);
  const src = (path: string): string => pathToFileURL(`${checkout}/packages/server/src/${path}`).href;
  const { DEFAULTS } = await import(src('config/defaults.ts'));
  const { startServer } = await import(src('server.ts'));
  const { default: pino } = await import('pino');
  const config = {
    ...DEFAULTS,
    server: { ...DEFAULTS.server, host: '127.0.0.1', port: 0 },
    api: { ...DEFAULTS.api, keys: [API_KEY] },
    log: { ...DEFAULTS.log, level: 'silent' },
  };
  const hub = await startServer(config, { logger: pino({ level: 'silent' }) });
  const port = Number(new URL(hub.url).port);

  const child = fork(new URL(import.meta.url), ['--driver'], { execArgv: [], stdio: 'inherit' });
  const ask = (msg: object): Promise<unknown> =>
    new Promise((r) => {
      child.once('message', r);
      child.send(msg);
    });
  await ask({ subscribe: channels, port });
  const run = { port, channels, connections };
  await ask({ ...run, count: Math.max(connections, Math.floor(publishes / 5)) }); // warm-up
  const t0 = process.cpuUsage();
  await ask({ ...run, count: publishes });
  const used = process.cpuUsage(t0);
  child.send({ stop: true });
  await hub.shutdown();
  console.log(
    JSON.stringify({
      checkout,
      channels,
      publishes,
      connections,
      usPerPublish: Number(((used.user + used.system) / publishes).toFixed(2)),
    }),
  );
  process.exit(0);
}

/** The child: for each `{port, channels, connections, count}` sends `count` publishes, then answers. */
async function drive(): Promise<void> {
  const data = JSON.stringify({ t: 1733450000000.123, n: 'x'.repeat(40) });
  const sockets = new Map<number, Socket>();
  let next = 0;
  type Message = {
    stop?: true;
    subscribe?: number;
    port: number;
    channels: number;
    connections: number;
    count: number;
  };
  process.on('message', async (msg: Message) => {
    if (msg.stop) process.exit(0);
    if (msg.subscribe !== undefined) {
      // One raw socket per channel, reading the event stream and dropping it.
      const count = msg.subscribe;
      let subscribed = 0;
      await new Promise<void>((done) => {
        for (let i = 0; i < count; i++) {
          const s = connect(msg.port, '127.0.0.1');
          let seen = false;
          s.on('data', (chunk: Buffer) => {
            if (!seen && chunk.includes('subscribed')) {
              seen = true;
              if (++subscribed === count) done();
            }
          });
          s.on('error', () => {});
          s.write(`GET /sse?channel=c${i} HTTP/1.1\r\nHost: hub\r\nAccept: text/event-stream\r\n\r\n`);
        }
      });
      process.send?.({ done: true });
      return;
    }
    let sent = 0;
    let answered = 0;
    await new Promise<void>((done) => {
      const send = (s: Socket): void => {
        if (sent >= msg.count) return;
        sent++;
        const body = `{"channel":"c${next++ % msg.channels}","data":${data}}`;
        s.write(
          `POST /api/publish HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer ${API_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      };
      for (let i = 0; i < msg.connections; i++) {
        let s = sockets.get(i);
        if (s === undefined) {
          s = connect(msg.port, '127.0.0.1');
          s.setNoDelay(true);
          sockets.set(i, s);
        }
        const socket = s;
        socket.removeAllListeners('data');
        let tail = '';
        socket.on('data', (chunk: Buffer) => {
          // Each answer starts with its status line; a status other than 200 stops the run.
          const text = tail + chunk.toString('latin1');
          let at = text.indexOf('HTTP/1.1 ');
          while (at !== -1) {
            if (text.length < at + 12) break;
            if (text.slice(at + 9, at + 12) !== '200') {
              console.error(`publish failed: ${text.slice(at, at + 400)}`);
              process.exit(1);
            }
            answered++;
            if (answered === msg.count) return done();
            send(socket);
            at = text.indexOf('HTTP/1.1 ', at + 12);
          }
          tail = text.slice(-11);
          if (tail.includes('HTTP/1.1 ')) tail = tail.slice(tail.indexOf('HTTP/1.1 '));
          else tail = tail.slice(-8);
        });
        send(socket);
      }
    });
    process.send?.({ done: true });
  });
}
