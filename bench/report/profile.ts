// Where a hub's time went: the functions with the most self time in a `.cpuprofile` (from `--cpu-prof`),
// grouped by function and file, and the share of time by file.
//
//   node bench/report/profile.ts profiles/CPU.<…>.cpuprofile [top] [--inclusive FN,FN…] [--within FN]
//
// `--inclusive` adds the inclusive share (the samples with the function anywhere on the stack) of each named
// function; with `--within`, only the samples whose stack also holds that function count (what part of the
// flush is the socket's write, for example).

import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const m = /(packages\/[^/]+\/src\/.*|node_modules\/.*|node:.*)$/.exec(url);
  return m?.[1] ?? url.split('/').slice(-2).join('/');
}

/** The inclusive share of each of `names` in the busy samples (only those whose stack holds `within`, if given). */
function inclusive(p: CpuProfile, names: readonly string[], within: string | undefined): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map(names.map((n) => [n, 0]));
  let busy = 0;
  let inside = 0;
  for (const id of p.samples) {
    if (byId.get(id)?.callFrame.functionName === '(idle)') continue;
    busy++;
    const stack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      stack.add(byId.get(at)?.callFrame.functionName ?? '');
    }
    if (within !== undefined && !stack.has(within)) continue;
    inside++;
    for (const name of names) if (stack.has(name)) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const pct = (c: number): string => `${((100 * c) / Math.max(1, busy)).toFixed(1)}%`.padStart(6);
  console.log(
    within === undefined
      ? '\ninclusive time (shares of busy time):'
      : `\ninclusive time within ${within} (${pct(inside).trim()} of busy time; shares of busy time):`,
  );
  for (const [name, c] of counts) console.log(`${pct(c)}  ${name}`);
}

function main(path: string, top: number): void {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const id of p.samples) {
    const n = byId.get(id);
    if (n === undefined) continue;
    total++;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle++;
      continue;
    }
    const where = shortUrl(n.callFrame.url);
    const k = `${name}  ${where}:${n.callFrame.lineNumber + 1}`;
    fn.set(k, (fn.get(k) ?? 0) + 1);
    file.set(where, (file.get(where) ?? 0) + 1);
  }
  const busy = total - idle;
  const pct = (c: number): string => `${((100 * c) / Math.max(1, busy)).toFixed(1)}%`.padStart(6);
  console.log(
    `${path}: ${total} samples, ${((100 * idle) / Math.max(1, total)).toFixed(0)}% idle; shares of busy time`,
  );
  console.log('\nself time by function:');
  for (const [k, c] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(c)}  ${k}`);
  console.log('\nself time by file:');
  for (const [k, c] of [...file].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(c)}  ${k}`);
}

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const inclusiveNames = option('--inclusive');
const within = option('--within');
const path = args[0];
if (path === undefined) {
  console.error(
    'usage: node bench/report/profile.ts <file.cpuprofile> [top] [--inclusive FN,FN…] [--within FN]',
  );
  process.exitCode = 2;
} else {
  main(path, Number(args[1] ?? 25));
  if (inclusiveNames !== undefined) {
    const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
    inclusive(p, inclusiveNames.split(','), within);
  }
}
