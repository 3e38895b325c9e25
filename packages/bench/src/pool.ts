// The coordinator's side of the generator processes: forks them, splits subscribers between them, and merges
// their snapshots. Workers are children of this process; `stop()` (also run at exit) kills every one.

import { type ChildProcess, type ForkOptions, fork, type SpawnOptions, spawn } from 'node:child_process';
import { isSea } from 'node:sea';
import { Histogram } from './histogram.ts';
import type { Expectation, OpenResult, OpenSpec, Reply, Request, Snapshot } from './ipc.ts';

type Pending = (reply: Reply) => void;

class WorkerHandle {
  readonly child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(child: ChildProcess) {
    this.child = child;
    child.on('message', (reply: Reply) => {
      const p = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      p?.(reply);
    });
    child.on('exit', () => {
      for (const p of this.#pending.values()) p({ id: 0, type: 'close' });
      this.#pending.clear();
    });
  }

  request<T extends Reply['type']>(req: Omit<Extract<Request, { type: T }>, 'id'>): Promise<Reply> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.child.send({ ...req, id });
    });
  }
}

/** What all workers together saw since the last snapshot. */
export interface PoolSnapshot {
  received: number;
  totalReceived: number;
  bytes: number;
  /** Publications owed to live subscribers by the current step and not received (now, not a window). */
  owed: number;
  duplicates: number;
  reordered: number;
  dropped: number;
  latency: Histogram;
  /** Publications received before their send time, and the most negative receive-minus-send time, µs. */
  negative: number;
  minLatency: number;
  open: number;
  /** Sum of the workers' CPU (1 = one core). */
  cpu: number;
  /** The busiest worker's CPU. */
  maxWorkerCpu: number;
  lagP99: number;
  lagMax: number;
}

export interface PoolOpenResult extends Omit<OpenResult, 'setup'> {
  setup: Histogram;
}

/**
 * The argument that makes the single executable run a generator worker instead of the CLI: the binary has no
 * worker.js to fork, so it starts itself with this argument (and the IPC channel `fork` would have set up).
 */
export const WORKER_ARG = '__switchboard-bench-worker';

function forkWorker(): ChildProcess {
  const options: SpawnOptions & ForkOptions = {
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  };
  if (isSea()) return spawn(process.execPath, [WORKER_ARG], options);
  // worker.ts next to this file when run from the sources, worker.js once built.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fork(new URL(`./worker${ext}`, import.meta.url), [], options);
}

export class WorkerPool {
  readonly #workers: WorkerHandle[] = [];
  readonly #onExit = (): void => this.#killNow();

  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const child = forkWorker();
      this.#workers.push(new WorkerHandle(child));
    }
    process.on('exit', this.#onExit);
  }

  get size(): number {
    return this.#workers.length;
  }

  get pids(): number[] {
    return this.#workers.flatMap((w) => (w.child.pid === undefined ? [] : [w.child.pid]));
  }

  /** Opens `spec.count` subscribers split evenly over the workers (subscriber numbering stays global). */
  async open(spec: OpenSpec): Promise<PoolOpenResult> {
    const n = this.#workers.length;
    const base = Math.floor(spec.count / n);
    let first = spec.first;
    const counts = this.#workers.map((_, i) => base + (i < spec.count % n ? 1 : 0));
    const parts = this.#workers.map((w, i) => {
      const count = counts[i]!;
      const part: OpenSpec = {
        ...spec,
        count,
        first,
        concurrency: Math.max(1, Math.ceil(spec.concurrency / n)),
      };
      first += count;
      return w.request<'open'>({ type: 'open', spec: part });
    });
    const setup = new Histogram();
    const out: PoolOpenResult = { ready: 0, failed: 0, errors: {}, setup, ms: 0 };
    const replies = await Promise.all(parts);
    for (const [i, reply] of replies.entries()) {
      if (reply.type !== 'open') {
        // The worker died: its subscribers never opened.
        out.failed += counts[i]!;
        out.errors.worker_exit = (out.errors.worker_exit ?? 0) + counts[i]!;
        continue;
      }
      const r = reply.result;
      out.ready += r.ready;
      out.failed += r.failed;
      out.ms = Math.max(out.ms, r.ms);
      setup.merge(r.setup.pairs, r.setup.max);
      for (const [code, c] of Object.entries(r.errors)) out.errors[code] = (out.errors[code] ?? 0) + c;
    }
    return out;
  }

  async snapshot(): Promise<PoolSnapshot> {
    const replies = await Promise.all(this.#workers.map((w) => w.request<'snapshot'>({ type: 'snapshot' })));
    const latency = new Histogram();
    const out: PoolSnapshot = {
      received: 0,
      totalReceived: 0,
      bytes: 0,
      owed: 0,
      duplicates: 0,
      reordered: 0,
      dropped: 0,
      latency,
      negative: 0,
      minLatency: 0,
      open: 0,
      cpu: 0,
      maxWorkerCpu: 0,
      lagP99: 0,
      lagMax: 0,
    };
    for (const reply of replies) {
      if (reply.type !== 'snapshot') continue;
      const s: Snapshot = reply.snapshot;
      out.received += s.received;
      out.totalReceived += s.totalReceived;
      out.bytes += s.bytes;
      out.owed += s.owed;
      out.duplicates += s.duplicates;
      out.reordered += s.reordered;
      out.dropped += s.dropped;
      out.negative += s.negative;
      out.minLatency = Math.min(out.minLatency, s.minLatency);
      out.open += s.open;
      out.cpu += s.cpu;
      out.maxWorkerCpu = Math.max(out.maxWorkerCpu, s.cpu);
      out.lagP99 = Math.max(out.lagP99, s.lagP99);
      out.lagMax = Math.max(out.lagMax, s.lagMax);
      latency.merge(s.latency.pairs, s.latency.max);
    }
    return out;
  }

  /** Tells every subscriber what the step owes it (by channel): the workers' `owed` counts down from there. */
  async expect(expected: Expectation): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.request<'expect'>({ type: 'expect', expected })));
  }

  /** Closes every subscriber (with a TCP reset) and waits until the workers have. */
  async closeAll(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.request<'close'>({ type: 'close' })));
  }

  /**
   * Ends the workers: they exit by themselves once disconnected (so a `--cpu-prof` profile gets written); any
   * still alive a second later, or when this process exits, is killed.
   */
  stop(): void {
    process.off('exit', this.#onExit);
    for (const w of this.#workers) {
      if (w.child.exitCode !== null) continue;
      if (w.child.connected) w.child.disconnect();
      const kill = setTimeout(() => w.child.kill('SIGKILL'), 1000);
      kill.unref();
      w.child.once('exit', () => clearTimeout(kill));
    }
    this.#workers.length = 0;
  }

  #killNow(): void {
    for (const w of this.#workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  }
}
