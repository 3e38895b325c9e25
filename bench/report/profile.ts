// Where a hub's time went: the functions with the most self time in a `.cpuprofile` (from `--cpu-prof`),
// grouped by function and file, and the share of time by file.
//
//   node bench/report/profile.ts profiles/CPU.<…>.cpuprofile [top]

import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
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

const path = process.argv[2];
if (path === undefined) {
  console.error('usage: node bench/report/profile.ts <file.cpuprofile> [top]');
  process.exitCode = 2;
} else main(path, Number(process.argv[3] ?? 25));
