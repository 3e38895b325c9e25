// A generator worker process: opens subscribers when asked, counts what they receive, reports snapshots.
// It exits when its coordinator goes away, so a crashed run leaves no sockets open.

import { type ClientHttp2Session, connect } from 'node:http2';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { dialectFor } from './dialect.ts';
import { Histogram } from './histogram.ts';
import type { Expectation, OpenResult, OpenSpec, Reply, Request, Snapshot } from './ipc.ts';
import { SeqSet } from './seq-set.ts';
import { Subscriber, type SubscriberSpec } from './subscriber.ts';
import { WorkerStats } from './worker-stats.ts';

const stats = new WorkerStats();
const live = new Set<Subscriber>();
/** `--http2`: SSE subscribers are streams of these connections, this many to a connection (the hub's default). */
const STREAMS_PER_CONNECTION = 100;
const sessions: ClientHttp2Session[] = [];

/** The HTTP/2 connection for the `i`th subscriber of an open call (h2c with prior knowledge). */
function sessionFor(spec: OpenSpec, i: number, byIndex: Map<number, ClientHttp2Session>): ClientHttp2Session {
  const k = Math.floor(i / STREAMS_PER_CONNECTION);
  let session = byIndex.get(k);
  if (session === undefined) {
    const local = spec.localAddresses[k % Math.max(1, spec.localAddresses.length)];
    session = connect(`http://${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`, {
      ...(local === undefined ? {} : { localAddress: local }),
      peerMaxConcurrentStreams: STREAMS_PER_CONNECTION,
    });
    // A connection that fails fails its streams, which count it; nothing more to do here.
    session.on('error', () => {});
    byIndex.set(k, session);
    sessions.push(session);
  }
  return session;
}
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
let cpuMark = process.cpuUsage();
let wallMark = performance.now();

function send(reply: Reply): void {
  process.send?.(reply);
}

function open(spec: OpenSpec): Promise<OpenResult> {
  const dialect = dialectFor(spec.dialect, spec.wire);
  const setup = new Histogram();
  const errors: Record<string, number> = {};
  const started = performance.now();
  let next = 0;
  let ready = 0;
  let failed = 0;
  let inFlight = 0;
  const byIndex = new Map<number, ClientHttp2Session>();
  return new Promise((resolve) => {
    const deadline = setTimeout(finish, spec.deadlineMs);
    deadline.unref();
    let done = false;
    function finish(): void {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      const unopened = spec.count - ready - failed;
      if (unopened > 0) errors.deadline = (errors.deadline ?? 0) + unopened;
      resolve({
        ready,
        failed: spec.count - ready,
        errors,
        setup: { pairs: setup.toPairs(), max: setup.max },
        ms: performance.now() - started,
      });
    }
    function settled(): void {
      inFlight--;
      if (ready + failed === spec.count) finish();
      else launch();
    }
    const events = {
      ready(sub: Subscriber, ms: number): void {
        live.add(sub);
        ready++;
        setup.record(ms * 1000);
        settled();
      },
      fail(_sub: Subscriber, code: string): void {
        failed++;
        errors[code] = (errors[code] ?? 0) + 1;
        settled();
      },
      drop(sub: Subscriber): void {
        live.delete(sub);
        stats.dropped++;
      },
    };
    function launch(): void {
      while (!done && inFlight < spec.concurrency && next < spec.count) {
        const i = next++;
        const s: SubscriberSpec = {
          host: spec.host,
          port: spec.port,
          transport: spec.transport,
          dialect,
          channel: spec.perSubscriber ? `${spec.channel}${spec.first + i}` : spec.channel,
          connectTimeoutMs: spec.connectTimeoutMs,
        };
        if (spec.http2) s.session = sessionFor(spec, i, byIndex);
        const local = spec.localAddresses[i % Math.max(1, spec.localAddresses.length)];
        if (local !== undefined) s.localAddress = local;
        inFlight++;
        new Subscriber(s, stats, events);
      }
    }
    if (spec.count === 0) finish();
    else launch();
  });
}

function snapshot(): Snapshot {
  const now = performance.now();
  const cpu = process.cpuUsage(cpuMark);
  const s: Snapshot = {
    received: stats.received,
    totalReceived: stats.totalReceived,
    bytes: stats.bytes,
    owed: stats.owed,
    duplicates: stats.duplicates,
    reordered: stats.reordered,
    dropped: stats.dropped,
    latency: { pairs: stats.latency.toPairs(), max: stats.latency.max },
    negative: stats.negative,
    minLatency: stats.minLatency,
    open: live.size,
    cpu: (cpu.user + cpu.system) / 1000 / Math.max(1, now - wallMark),
    lagP99: lag.percentile(99) / 1e6,
    lagMax: lag.max / 1e6,
  };
  cpuMark = process.cpuUsage();
  wallMark = now;
  lag.reset();
  stats.resetWindow();
  return s;
}

/** A new step's expectation for every live subscriber; what the previous step still owed is dropped. */
function expect(expected: Expectation): void {
  const byChannel = new Map(expected.map(([channel, ranges]) => [channel, SeqSet.from(ranges)]));
  stats.owed = 0;
  for (const sub of live) sub.expect(byChannel.get(sub.channel));
}

function closeAll(): void {
  for (const sub of live) sub.close();
  live.clear();
  for (const session of sessions) session.destroy();
  sessions.length = 0;
}

process.on('message', (msg: Request) => {
  if (msg.type === 'open') open(msg.spec).then((result) => send({ id: msg.id, type: 'open', result }));
  else if (msg.type === 'snapshot') send({ id: msg.id, type: 'snapshot', snapshot: snapshot() });
  else if (msg.type === 'expect') {
    expect(msg.expected);
    send({ id: msg.id, type: 'expect' });
  } else if (msg.type === 'close') {
    closeAll();
    send({ id: msg.id, type: 'close' });
  }
});
process.on('disconnect', () => {
  closeAll();
  process.exit(0);
});
