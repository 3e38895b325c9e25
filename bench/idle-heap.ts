// Where an idle connection's memory goes. Starts a hub in this process (in-memory engine, defaults), opens N
// connections to one channel from child processes (bench/idle-clients.ts), half first and half measured (as the
// bench suite's idle figure is: what the first connections cost once, such as compiled code, stays out), and
// reports, per measured connection, the growth of the resident size, of V8's heap (total and live, after full
// collections) and of the young generation; with --breakdown, the objects one connection keeps alive, from heap
// snapshots taken before and after the second half (by constructor, closure name or V8 node type). Object counts do not depend on the machine's load, so
// they are the figure to compare across changes; the resident size depends on V8's heap sizing.
//
//   npm exec -- node bench/idle-heap.ts --transport ws --connections 10000
//   npm exec -- node bench/idle-heap.ts --transport sse --connections 2000 --breakdown
//   npm exec -- node --max-semi-space-size=16 bench/idle-heap.ts --transport ws --connections 19000
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULTS, startServer } from '@switchboard/server';
import pino from 'pino';

const { values } = parseArgs({
  options: {
    transport: { type: 'string', default: 'ws' },
    connections: { type: 'string', default: '2000' },
    breakdown: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    rows: { type: 'string', default: '30' },
  },
});
const transport = values.transport;
const n = Number(values.connections);
if ((transport !== 'ws' && transport !== 'sse') || !Number.isInteger(n) || n < 1) {
  console.error(
    'usage: idle-heap.ts [--transport ws|sse] [--connections N] [--breakdown] [--json] [--rows N]',
  );
  process.exit(2);
}
if (values.breakdown && n > 5_000) {
  console.error('--breakdown parses two heap snapshots in memory: use at most 5,000 connections');
  process.exit(2);
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const settled = (): NodeJS.MemoryUsage => {
  gc();
  gc();
  return process.memoryUsage();
};
const newSpaceMb = (): number =>
  (getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0) / 1048576;

/** Count and self size by kind: `Constructor`, `closure name()`, or V8's node type. */
type Census = Map<string, { count: number; bytes: number }>;
const snapshotDir = values.breakdown ? mkdtempSync(join(tmpdir(), 'idle-heap-')) : '';
function census(): Census {
  gc();
  const file = writeHeapSnapshot(join(snapshotDir, `${Date.now()}.heapsnapshot`));
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  rmSync(file);
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [type, name, size] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const out: Census = new Map();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const t = types[snap.nodes[i + type] ?? 0] ?? '?';
    const label = snap.strings[snap.nodes[i + name] ?? 0] ?? '';
    const kind = t === 'object' ? label : t === 'closure' ? `closure ${label || '(anonymous)'}()` : `(${t})`;
    const e = out.get(kind) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += snap.nodes[i + size] ?? 0;
    out.set(kind, e);
  }
  return out;
}

const config = { ...DEFAULTS, server: { ...DEFAULTS.server, host: '127.0.0.1', port: 0 } };
const hub = await startServer(config, { logger: pino({ level: 'silent' }) });
const children: ChildProcess[] = [];
/** Opens `count` connections from a new client process; resolves with how many subscribed. */
async function openClients(count: number): Promise<number> {
  const child = fork(
    new URL('./idle-clients.ts', import.meta.url),
    [String(hub.port), transport, String(count)],
    {
      execArgv: [],
    },
  );
  children.push(child);
  const subscribed = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { subscribed: number }).subscribed));
    child.once('exit', (code) => reject(new Error(`the client process exited (${code}) before reporting`)));
  });
  await new Promise((r) => setTimeout(r, 1_000));
  return subscribed;
}
const first = await openClients(Math.floor(n / 2));
const c0 = values.breakdown ? census() : undefined;
const before = settled();
const newBefore = newSpaceMb();
const measured = await openClients(n - Math.floor(n / 2));
const subscribed = first + measured;
const after = settled();
const per = (k: keyof NodeJS.MemoryUsage): number =>
  Math.round(((after[k] - before[k]) / Math.max(1, measured) / 1024) * 100) / 100;
const result = {
  transport,
  connections: subscribed,
  measured,
  kb_per_conn: {
    rss: per('rss'),
    heap_total: per('heapTotal'),
    heap_used: per('heapUsed'),
    external: per('external'),
  },
  new_space_mb: { before: Math.round(newBefore), after: Math.round(newSpaceMb()) },
  breakdown: [] as { kind: string; per_conn: number; bytes_per_conn: number }[],
};
if (c0 !== undefined) {
  const c1 = census();
  rmSync(snapshotDir, { recursive: true, force: true });
  for (const [kind, { count, bytes }] of c1) {
    const b = c0.get(kind) ?? { count: 0, bytes: 0 };
    const perConn = (count - b.count) / Math.max(1, measured);
    const bytesPerConn = (bytes - b.bytes) / Math.max(1, measured);
    if (bytesPerConn >= 8) {
      result.breakdown.push({
        kind,
        per_conn: Math.round(perConn * 100) / 100,
        bytes_per_conn: Math.round(bytesPerConn),
      });
    }
  }
  result.breakdown.sort((a, b) => b.bytes_per_conn - a.bytes_per_conn);
}
for (const c of children) c.send('exit');
await hub.shutdown();

if (values.json) console.log(JSON.stringify(result));
else {
  const k = result.kb_per_conn;
  console.log(
    `${transport}: ${subscribed}/${n} connections subscribed; KB per connection (the last ${measured}): resident ${k.rss}, ` +
      `V8 heap ${k.heap_total} (live ${k.heap_used}), outside V8 ${Math.round((k.rss - k.heap_total) * 100) / 100}; ` +
      `young generation ${result.new_space_mb.before} -> ${result.new_space_mb.after} MB`,
  );
  if (result.breakdown.length > 0) {
    console.log(
      "(with --breakdown, the resident and heap figures include the snapshots' own memory: read them from a run without it)",
    );
    console.log('\n| kept per connection | objects | bytes |\n| --- | ---: | ---: |');
    for (const r of result.breakdown.slice(0, Number(values.rows))) {
      console.log(`| ${r.kind.replaceAll('|', '\\|')} | ${r.per_conn} | ${r.bytes_per_conn} |`);
    }
  }
}
process.exit(0);
