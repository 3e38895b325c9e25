// Issue 13, finding 1, as a measurement: what four flooding connections cost everyone else. A hub process, 20
// canary subscribers on one channel and a publisher at 100/s (each message carries its send time); then, phase by
// phase, four WebSocket connections sending one kind of frame as fast as the loop lets them, reconnecting at once
// whenever the hub closes them. Reported per phase: the canaries' delivery latency (p50, p99, max), messages lost,
// and what the flooders managed (frames sent, error replies, closes and their codes).
//
//   npm exec -- node bench/hostile-flood.ts [--seconds 4] [--error-rate N] [--command-rate N]
//
// `--error-rate 0 --command-rate 0` turns both budgets off: every frame is read and answered, which is close to
// the hub the issue measured. Short by design (about 20 s); the figures depend heavily on the machine's load.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { freePort, startProcess, waitHealthy } from './process.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    'error-rate': { type: 'string' },
    'command-rate': { type: 'string' },
  },
});
const PHASE_MS = Number(args.seconds) * 1000;
const CANARIES = 20;
const FLOODERS = 4;
const KEY = 'hostile-flood-key-0123456789';

const port = await freePort();
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
if (args['error-rate'] !== undefined) env.SWITCHBOARD_LIMITS_ERROR_RATE = args['error-rate'];
if (args['command-rate'] !== undefined) env.SWITCHBOARD_LIMITS_COMMAND_RATE = args['command-rate'];
const hub = startProcess(
  process.execPath,
  [
    new URL('../packages/server/bin/switchboard.js', import.meta.url).pathname,
    'serve',
    '--port',
    String(port),
    '--api-key',
    KEY,
    '--log-level',
    'warn',
  ],
  { hub: undefined, generator: undefined, note: '' },
  env,
);
if (!(await waitHealthy(port, 15_000, hub))) throw new Error(`the hub did not start:\n${hub.output()}`);
const wsUrl = `ws://127.0.0.1:${port}/ws`;

// ---- canaries ----
let latencies: number[] = [];
let received = 0;
const canaries: WebSocket[] = [];
for (let i = 0; i < CANARIES; i++) {
  const ws = new WebSocket(wsUrl);
  await new Promise((r) => ws.once('open', r));
  ws.on('message', (d) => {
    const f = JSON.parse(String(d)) as { type: string; data?: { t: number } };
    if (f.type === 'message' && f.data !== undefined) {
      received++;
      latencies.push(Date.now() - f.data.t);
    }
  });
  ws.send(JSON.stringify({ type: 'subscribe', channel: 'canary', id: 1 }));
  canaries.push(ws);
}
await new Promise((r) => setTimeout(r, 300));

// ---- publisher: 100/s, each awaited ----
let published = 0;
let publishing = true;
const publisher = (async () => {
  while (publishing) {
    const started = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ channel: 'canary', data: { t: Date.now() } }),
    });
    await res.text();
    if (res.status === 200) published++;
    await new Promise((r) => setTimeout(r, Math.max(0, 10 - (performance.now() - started))));
  }
})();

// ---- flooders ----
interface FloodStats {
  sent: number;
  errors: number;
  closes: Map<number, number>;
}

function flooder(frame: string, stats: FloodStats, until: number): Promise<void> {
  return new Promise((resolve) => {
    const open = (): void => {
      if (Date.now() >= until) return resolve();
      const ws = new WebSocket(wsUrl);
      ws.on('error', () => {
        // Closed by the hub mid-write: counted in 'close'.
      });
      ws.on('message', (d) => {
        if (String(d).includes('"error"')) stats.errors++;
      });
      ws.once('close', (code) => {
        stats.closes.set(code, (stats.closes.get(code) ?? 0) + 1);
        open();
      });
      ws.once('open', () => {
        const batch = (): void => {
          if (ws.readyState !== WebSocket.OPEN) return;
          if (Date.now() >= until) return ws.close();
          // Keep the client's own queue short: flood as fast as the socket takes it.
          if (ws.bufferedAmount < 1024 * 1024) for (let i = 0; i < 200; i++, stats.sent++) ws.send(frame);
          setImmediate(batch);
        };
        batch();
      });
    };
    open();
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function phase(name: string, frame: string | null): Promise<void> {
  latencies = [];
  const publishedBefore = published;
  const receivedBefore = received;
  const stats: FloodStats = { sent: 0, errors: 0, closes: new Map() };
  const until = Date.now() + PHASE_MS;
  if (frame === null) await new Promise((r) => setTimeout(r, PHASE_MS));
  else await Promise.all(Array.from({ length: FLOODERS }, () => flooder(frame, stats, until)));
  // Let the last publications arrive before counting.
  await new Promise((r) => setTimeout(r, 1_000));
  const sorted = [...latencies].sort((a, b) => a - b);
  const expected = (published - publishedBefore) * CANARIES;
  const got = received - receivedBefore;
  const closes = [...stats.closes].map(([code, n]) => `${code}×${n}`).join(' ') || '-';
  console.log(
    [
      name.padEnd(16),
      `p50 ${percentile(sorted, 50)} ms`.padEnd(12),
      `p99 ${percentile(sorted, 99)} ms`.padEnd(13),
      `max ${sorted.at(-1) ?? Number.NaN} ms`.padEnd(13),
      `lost ${Math.max(0, expected - got)}/${expected}`.padEnd(16),
      `flood sent ${stats.sent}, errors answered ${stats.errors}, closes ${closes}`,
    ].join(' '),
  );
}

console.log(
  `hostile flood: ${CANARIES} canaries, publisher 100/s, ${FLOODERS} flooders, ${PHASE_MS / 1000} s a phase` +
    ` (error rate ${args['error-rate'] ?? 'default'}, command rate ${args['command-rate'] ?? 'default'})`,
);
await phase('no flood', null);
await phase('flood "x"', 'x');
await phase('flood unknown', '{"type":"nope"}');
await phase('flood ping', '{"type":"ping"}');
publishing = false;
await publisher;
for (const ws of canaries) ws.terminate();
await hub.stop();
