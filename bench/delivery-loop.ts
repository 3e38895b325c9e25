// The per-subscriber delivery loop alone, in one process: a channel's subscriptions (`Subscription`) on real
// `SseTransport`s (wire 2), with the node's outgoing budget, byte tally and latency histogram, writing to
// streams that discard what they are given (a `Writable` that completes every write at
// once). What is left out is the kernel's write (`writeBuffer`), the same for any hub: this is the hub's own code
// per delivery. CPU time per delivery is read with `process.cpuUsage()`.
//
//   node bench/delivery-loop.ts [checkout] [subscribers] [publications] [per-turn]
//
// `checkout` is the repository whose server code is measured (default: this one), so a base worktree and a
// branch can be run alternately: `per-turn` publications are fanned out in each event-loop turn (1: the
// coalescing writer flushes one publication per socket per turn; 4: it joins four into one write).

import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const checkout = resolve(process.argv[2] ?? '.');
const subscribers = Number(process.argv[3] ?? 10_000);
const publications = Number(process.argv[4] ?? 300);
const perTurn = Number(process.argv[5] ?? 1);

const src = (path: string): string => pathToFileURL(`${checkout}/packages/server/src/${path}`).href;
const { SseTransport } = await import(src('transport/sse.ts'));
const { Subscription } = await import(src('core/subscription.ts'));
const { PreparedPublication } = await import(src('core/prepared.ts'));
const { OutgoingBudget } = await import(src('limits/outgoing-budget.ts'));
const { ByteTally } = await import(src('transport/bytes-written.ts'));
const { LatencyHistogram } = await import(src('observability/latency-histogram.ts'));

const channel = 'bench';
const budget = new OutgoingBudget(256 * 1024 * 1024);
const tally = new ByteTally();
tally.latency = new LatencyHistogram({
  name: 'w_seconds',
  help: 'w',
  labelName: 'transport',
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
}).series('sse');

let written = 0;
const subs: { deliver(p: unknown): void }[] = [];
for (let i = 0; i < subscribers; i++) {
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      written += chunk.length;
      done();
    },
  });
  const sink = { out, end: () => out.end(), destroy: () => out.destroy() };
  const transport = new SseTransport(sink, [channel], [{ epoch: 'e', offset: 0 }], {
    limits: { maxBytes: 4 * 1024 * 1024, maxMs: 5_000, budget },
    retryMs: 2_000,
    onSlow: () => {
      throw new Error('cut as a slow consumer');
    },
    tally,
    compact: true,
  });
  const owner = {
    id: `c${i}`,
    sendPublication: (p: unknown, c: unknown) => transport.sendPublication(p, c),
    sendPrepared: (f: unknown) => transport.sendPrepared(f),
    send: (f: unknown) => transport.send(f),
    overflow: () => {},
    get writableBytes() {
      return transport.writableBytes;
    },
    waitDrain: () => {},
  };
  const sub = new Subscription(channel, owner);
  sub.goLive({ epoch: 'e', offset: 0 }, []);
  subs.push(sub);
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const data = JSON.stringify({ t: 1733450000000.123, n: 'x'.repeat(40) });
let offset = 0;
async function run(count: number): Promise<void> {
  for (let i = 0; i < count; i += perTurn) {
    for (let k = 0; k < perTurn; k++) {
      offset++;
      const prepared = new PreparedPublication({ channel, epoch: 'e', offset, data, time: Date.now() }, 1);
      for (const sub of subs) sub.deliver(prepared);
    }
    await turn();
  }
}

await run(Math.max(perTurn, Math.floor(publications / 10))); // warm-up
const bytesBefore = written;
const t0 = process.cpuUsage();
await run(publications);
const used = process.cpuUsage(t0);
const deliveries = Math.ceil(publications / perTurn) * perTurn * subscribers;
const us = (used.user + used.system) / deliveries;
console.log(
  JSON.stringify({
    checkout,
    subscribers,
    publications,
    perTurn,
    usPerDelivery: Number(us.toFixed(3)),
    bytesPerDelivery: Number(((written - bytesBefore) / deliveries).toFixed(1)),
  }),
);
