// The many-channels broadcast path alone, in one process: a hub node (`SwitchboardNode`) with the memory engine,
// `channels` channels with one subscriber each (a session on a real `WebSocketTransport` or `SseTransport`, wire
// version 2), and broadcasts of `per-call` channels at a time through the same calls `POST /api/broadcast` makes
// (one `Payload` for all the channels, then the node's publish for each, or its `broadcast` where the checkout
// has one). The transports write to streams that discard what they are given, so what is measured is the hub's
// own code per delivered message — publish, engine, sequencer, fan-out, frame building, coalesced write — and not
// the kernel's write nor HTTP parsing. CPU time is read with `process.cpuUsage()`; after the timed run, the
// promises made per broadcast are counted with an `async_hooks` hook (deterministic, unlike the time).
//
//   node bench/broadcast-loop.ts [checkout] [ws|sse] [channels] [broadcasts] [per-call]
//
// `checkout` is the repository whose server code is measured (default: this one), so a base worktree and a
// branch can be run alternately. Each broadcast names the next `per-call` channels, round robin; one broadcast
// is handled per event-loop turn, as one request per turn would be.

import { createHook } from 'node:async_hooks';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const checkout = resolve(process.argv[2] ?? '.');
const transportKind = process.argv[3] ?? 'ws';
const channelCount = Number(process.argv[4] ?? 10_000);
const broadcasts = Number(process.argv[5] ?? 2_000);
const perCall = Number(process.argv[6] ?? 100);

const src = (path: string): string => pathToFileURL(`${checkout}/packages/server/src/${path}`).href;
const { SwitchboardNode } = await import(src('core/node.ts'));
const { createMemoryEngine } = await import(src('engine/memory/index.ts'));
const { DEFAULTS } = await import(src('config/defaults.ts'));
const { Metrics } = await import(src('observability/metrics.ts'));
const { createAuthenticator } = await import(src('auth/index.ts'));
const { ProxyHooks } = await import(src('proxy/hooks.ts'));
const { Payload } = await import(src('core/payload.ts'));
const { WebSocketTransport } = await import(src('transport/websocket.ts'));
const { SseTransport } = await import(src('transport/sse.ts'));
const { default: pino } = await import('pino');

const logger = pino({ level: 'silent' });
const config = DEFAULTS;
const metrics = new Metrics({
  connections: () => ({ websocket: 0, sse: 0 }),
  channels: () => 0,
  outgoingBytes: () => 0,
});
const node = new SwitchboardNode({
  engine: createMemoryEngine(),
  config,
  logger,
  metrics,
  authenticator: createAuthenticator(config, logger),
  hooks: new ProxyHooks(config.proxy, metrics.registry, logger),
});
await node.start();

let written = 0;
const discard = (): Writable =>
  new Writable({
    write(chunk: Buffer, _enc, done) {
      written += chunk.length;
      done();
    },
    writev(chunks, done) {
      for (const c of chunks) written += c.chunk.length;
      done();
    },
  });
const limits = { maxBytes: 4 * 1024 * 1024, maxMs: 5_000, budget: node.outgoing };
const slow = (): void => {
  throw new Error('cut as a slow consumer');
};

const names: string[] = [];
const subscribing: Promise<boolean>[] = [];
for (let i = 0; i < channelCount; i++) {
  const channel = `ch${i}`;
  names.push(channel);
  const out = discard();
  const transport =
    transportKind === 'sse'
      ? new SseTransport({ out, end: () => out.end(), destroy: () => out.destroy() }, [channel], [null], {
          limits,
          retryMs: 2_000,
          onSlow: slow,
          compact: true,
        })
      : new WebSocketTransport(
          { readyState: 1, close() {}, terminate() {} },
          out,
          limits,
          slow,
          undefined,
          false,
          true,
        );
  const session = node.createSession(transport);
  subscribing.push(session.subscribe({ channel }));
}
const ok = await Promise.all(subscribing);
if (!ok.every(Boolean)) throw new Error('a subscription failed');

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const data = { t: 1733450000000.123, n: 'x'.repeat(40) };
let next = 0;
async function broadcast(): Promise<void> {
  const channels = new Array<string>(perCall);
  for (let k = 0; k < perCall; k++) {
    channels[k] = names[next]!;
    next = (next + 1) % names.length;
  }
  const payload = Payload.of(data);
  if (typeof node.broadcast === 'function') {
    await node.broadcast(channels, payload, {}, 'api');
    return;
  }
  await Promise.all(
    channels.map(async (channel) => {
      try {
        const { publication } = await node.publish(channel, payload, {}, 'api');
        return { channel, epoch: publication.epoch, offset: publication.offset };
      } catch (err) {
        return { channel, error: String(err) };
      }
    }),
  );
}
async function run(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await broadcast();
    await turn();
  }
}

await run(Math.max(1, Math.floor(broadcasts / 5))); // warm-up
const bytesBefore = written;
const deliveredBefore = await deliveredCount();
const t0 = process.cpuUsage();
await run(broadcasts);
await turn();
const used = process.cpuUsage(t0);
const delivered = (await deliveredCount()) - deliveredBefore;
const expected = broadcasts * perCall;
if (delivered !== expected) throw new Error(`delivered ${delivered}, expected ${expected}`);
// Promises made per broadcast (counted apart from the timed run: the hook itself costs time).
let promises = 0;
const hook = createHook({
  init(_id, type) {
    if (type === 'PROMISE') promises++;
  },
}).enable();
const counted = 10;
for (let i = 0; i < counted; i++) await broadcast();
hook.disable();
console.log(
  JSON.stringify({
    checkout,
    transport: transportKind,
    channels: channelCount,
    broadcasts,
    perCall,
    usPerDelivery: Number(((used.user + used.system) / expected).toFixed(3)),
    bytesPerDelivery: Number(((written - bytesBefore) / expected).toFixed(1)),
    promisesPerBroadcast: promises / counted,
  }),
);
await node.close();
process.exit(0);

async function deliveredCount(): Promise<number> {
  const m = (await metrics.registry.getSingleMetric('switchboard_deliveries_total')?.get()) as
    | { values: { value: number }[] }
    | undefined;
  return m?.values.reduce((s, v) => s + v.value, 0) ?? 0;
}
