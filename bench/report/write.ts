// Writes a run's results: bench/results/<time>[-quick].json and the SVG chart beside it.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Profile, ScenarioResult } from '@switchboard/bench';
import { panels } from './compare.ts';
import { chart } from './svg.ts';

export interface RunRecord {
  startedAt: Date;
  quick: boolean;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  pinning: string;
  profile: Profile;
  results: ScenarioResult[];
  notes: string[];
}

const DEFAULT_DIR = fileURLToPath(new URL('../results', import.meta.url));

export function writeResults(dir: string | undefined, run: RunRecord): { json: string; svg: string } {
  const out = dir ?? DEFAULT_DIR;
  mkdirSync(out, { recursive: true });
  const stamp = run.startedAt
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');
  const base = join(out, `${stamp}${run.quick ? '-quick' : ''}`);
  const record = {
    version: 1,
    ...run,
    startedAt: run.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
  writeFileSync(`${base}.json`, `${JSON.stringify(record, null, 2)}\n`);
  const targets = [...new Set(run.results.map((r) => r.target))];
  const subtitle = `${run.quick ? 'quick' : 'full'} run ${record.startedAt} · ${run.machine.cores} cores, ${run.machine.cpu} · ${run.pinning}`;
  writeFileSync(`${base}.svg`, chart('Switchboard benchmark', subtitle, panels(run.results, targets)));
  return { json: `${base}.json`, svg: `${base}.svg` };
}
