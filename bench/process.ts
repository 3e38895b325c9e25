// Starting and stopping the processes under test: pinned to the hub's core with taskset when the machine has
// it, ready once `/healthz` answers, and killed (their whole process group) when the run ends by any path.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';

export interface Pinning {
  /** Core for the hub or baseline; undefined when not pinned. */
  hub: number | undefined;
  /** Core(s) of the generator (this process and its workers). */
  generator: string | undefined;
  note: string;
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false; // not installed: run unpinned and say so
  }
}

/**
 * Pins this process (all its threads; the generator workers forked later inherit it) to core 1 and leaves
 * core 0 to the hub. Needs taskset and two cores; otherwise nothing is pinned and the note says why.
 */
export function pinGenerator(cores: number): Pinning {
  if (cores < 2) return { hub: undefined, generator: undefined, note: 'not pinned: fewer than 2 cores' };
  if (!hasTaskset())
    return { hub: undefined, generator: undefined, note: 'not pinned: taskset not found (util-linux)' };
  const gen = cores === 2 ? '1' : `1-${cores - 1}`;
  execFileSync('taskset', ['-a', '-p', '-c', gen, String(process.pid)], { stdio: 'ignore' });
  return { hub: 0, generator: gen, note: `hub pinned to core 0, generator to core ${gen} (taskset)` };
}

const children = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal); // no process group (already gone or not a leader): signal the child itself
  }
}

process.on('exit', () => {
  for (const c of children) killGroup(c, 'SIGKILL');
});
// A signal would end the run without 'exit' handlers: exit instead, so every hub and worker is killed.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    console.error(`\nswitchboard bench: ${sig}, stopping`);
    process.exit(130);
  });
}

export interface Started {
  pid: number;
  stop(): Promise<void>;
  /** The last lines the process printed (for a failed start). */
  output(): string;
  /** True once the process has exited. */
  exited(): boolean;
  /** A hub of several nodes: the others (subscribers are spread over all; publications go to the first). */
  nodes?: Array<{ host: string; port: number }>;
  /** Stops the first (or only) node, leaving the rest (its engine, other nodes) running. */
  stop1?(): Promise<void>;
  /** Starts the first node again on its port, with `env` added to its environment; its new pid. */
  start1?(env: Record<string, string>): Promise<number>;
  /** When the first node has exited: that, and the last lines it printed; undefined while it runs. */
  output1?(): string | undefined;
}

/** Spawns `cmd args` (under `taskset -c <core>` when pinned) in its own process group. */
export function startProcess(
  cmd: string,
  args: string[],
  pin: Pinning,
  env: NodeJS.ProcessEnv = process.env,
): Started {
  const argv = pin.hub === undefined ? [cmd, ...args] : ['taskset', '-c', String(pin.hub), cmd, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  let out = '';
  const keep = (b: Buffer): void => {
    out = (out + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', () => children.delete(child));
  return {
    pid: child.pid ?? -1,
    output: () => out,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop: async () => {
      killGroup(child, 'SIGTERM');
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const timeout = new Promise<void>((r) => setTimeout(r, 8000).unref());
      if (child.exitCode === null && child.signalCode === null) await Promise.race([exited, timeout]);
      killGroup(child, 'SIGKILL');
      children.delete(child);
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function healthz(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const r = request({ host: '127.0.0.1', port, path, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    r.on('error', () => resolve(false));
    r.on('timeout', () => r.destroy());
    r.end();
  });
}

/** Polls `GET path` until it answers 200, `timeoutMs` passes, or the process exits. */
export async function waitHealthy(
  port: number,
  timeoutMs: number,
  p: Started,
  path = '/healthz',
): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end && !p.exited()) {
    if (await healthz(port, path)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** The CPU model, for the results' machine section. */
export function describeCpu(): string {
  try {
    const info = execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"])
      .toString()
      .trim();
    return info || 'unknown CPU';
  } catch {
    return 'unknown CPU'; // /proc/cpuinfo unreadable: the machine section says so
  }
}
