// Readings of another process (the hub under test) from /proc: resident memory and CPU time of it and its
// children (nginx's workers, for one). Linux only; elsewhere every reading is undefined and the scenarios
// that need it say so.

import { readdirSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS = 100;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined; // the process is gone or /proc is absent: the reading is unavailable, not an error
  }
}

/** `pid` and all its descendants. */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [pid]; // no /proc: the process alone
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const stat = read(`/proc/${e}/stat`);
    const ppid =
      stat === undefined ? Number.NaN : Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isNaN(ppid)) continue;
    const kids = parents.get(ppid) ?? [];
    kids.push(Number(e));
    parents.set(ppid, kids);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(parents.get(p) ?? []));
  }
  return out;
}

/** Resident set size (KiB) of `pid` and its descendants, from `VmRSS`. */
export function treeRssKb(pid: number): number | undefined {
  let total = 0;
  let any = false;
  for (const p of processTree(pid)) {
    const m = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${p}/status`) ?? '');
    if (m?.[1] === undefined) continue;
    total += Number(m[1]);
    any = true;
  }
  return any ? total : undefined;
}

/** CPU seconds (user + system) used so far by `pid` and its descendants. */
export function treeCpuSeconds(pid: number): number | undefined {
  let ticks = 0;
  let any = false;
  for (const p of processTree(pid)) {
    const stat = read(`/proc/${p}/stat`);
    if (stat === undefined) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the comm field.
    ticks += Number(f[11] ?? 0) + Number(f[12] ?? 0);
    any = true;
  }
  return any ? ticks / TICKS : undefined;
}

/** The soft limit on open files of `pid`. */
export function openFileLimit(pid: number | 'self'): number | undefined {
  const m = /Max open files\s+(\d+)/.exec(read(`/proc/${pid}/limits`) ?? '');
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** CPU use of a process tree between two calls, as a fraction of one core. */
export class CpuMeter {
  readonly #pid: number | undefined;
  #cpu: number | undefined;
  #wall = performance.now();

  constructor(pid: number | undefined) {
    this.#pid = pid;
    this.#cpu = pid === undefined ? undefined : treeCpuSeconds(pid);
  }

  /** Fraction of one core used since the last call (or construction); undefined without a pid. */
  lap(): number | undefined {
    if (this.#pid === undefined) return undefined;
    const cpu = treeCpuSeconds(this.#pid);
    const wall = performance.now();
    const before = this.#cpu;
    const since = (wall - this.#wall) / 1000;
    this.#cpu = cpu;
    this.#wall = wall;
    if (cpu === undefined || before === undefined || since <= 0) return undefined;
    return (cpu - before) / since;
  }
}

/** CPUs a process may run on (its affinity), from `Cpus_allowed_list`; undefined when unreadable. */
export function allowedCpus(pid: number | 'self'): number[] | undefined {
  const m = /Cpus_allowed_list:\s*([\d,-]+)/.exec(read(`/proc/${pid}/status`) ?? '');
  if (m?.[1] === undefined) return undefined;
  const out: number[] = [];
  for (const part of m[1].split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

/** Busy and total jiffies of each CPU, from /proc/stat. */
function cpuJiffies(): Map<number, { busy: number; total: number }> {
  const out = new Map<number, { busy: number; total: number }>();
  for (const line of (read('/proc/stat') ?? '').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    const f = m[2].split(/\s+/).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    out.set(Number(m[1]), { busy: total - idle, total });
  }
  return out;
}

/**
 * How busy a set of cores was between two calls (0..1, averaged over the cores), kernel and interrupt time
 * included: on loopback much of the network work is charged to no process, so per-process CPU understates
 * how close a pinned hub or generator is to its core's limit.
 */
export class CoreMeter {
  readonly #cores: number[];
  #mark: Map<number, { busy: number; total: number }>;

  constructor(cores: number[]) {
    this.#cores = cores;
    this.#mark = cpuJiffies();
  }

  lap(): number | undefined {
    const now = cpuJiffies();
    let busy = 0;
    let total = 0;
    for (const c of this.#cores) {
      const a = this.#mark.get(c);
      const b = now.get(c);
      if (a === undefined || b === undefined) continue;
      busy += b.busy - a.busy;
      total += b.total - a.total;
    }
    this.#mark = now;
    return total > 0 ? busy / total : undefined;
  }
}

/** Every CPU of the machine (not only those this process may use). */
export function allCores(): number[] {
  return cpus().map((_, i) => i);
}

/**
 * The heap of a hub started with the suite's heap probe (bench/heap-probe.ts, preloaded by `--import`):
 * `process.memoryUsage()` as it wrote it at most a second ago, or undefined without the probe.
 */
export function hubHeap(
  pid: number,
): { heapUsed: number; heapTotal: number; external: number; rss: number } | undefined {
  const text = read(join(tmpdir(), `switchboard-bench-heap-${pid}.json`));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as { heapUsed: number; heapTotal: number; external: number; rss: number };
  } catch {
    return undefined; // caught mid-write: the next sample reads it
  }
}
