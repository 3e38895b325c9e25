// The issues' targets as one table, from one or more results files: measured against target, met or missed.
// Usage: node bench/report/goals.ts bench/results/<time>.json [more.json …]   (a later file wins where both
// measured the same figure, so a focused re-run can follow a full run)

import { readFileSync } from 'node:fs';
import { judgeAll, renderTable, type ScenarioResult } from '@switchboard/bench';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node bench/report/goals.ts bench/results/<time>.json [more.json …]');
  process.exitCode = 2;
} else {
  const results: ScenarioResult[] = [];
  // Later files first: the judge takes the first result it finds for a target.
  for (const f of [...files].reverse())
    results.push(...(JSON.parse(readFileSync(f, 'utf8')) as { results: ScenarioResult[] }).results);
  const rows = judgeAll(results).map((r) => [
    `${r.goal.label} (#${r.goal.issue})`,
    r.measured,
    r.against,
    r.ratio,
    r.verdict === 'met' ? 'met' : r.verdict === 'missed' ? '**missed**' : r.verdict,
    r.note,
  ]);
  console.log(`Goals judged from ${files.map((f) => `\`${f}\``).join(', ')}.\n`);
  console.log(renderTable(['goal', 'switchboard', 'against', 'ratio', 'verdict', 'note'], rows));
}
