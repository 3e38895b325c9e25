// Runs one tier of the test suite with the repo's Node (24, from node_modules/.bin via npm scripts).
// A tier that finds no test files fails: a suite that silently ran nothing proves nothing.
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

// `unit` needs no process outside Node; `engines` starts real redis-server (single, Sentinel, Cluster) and
// nats-server processes for the engine packages' own tests.
const TIERS: Record<string, string[]> = {
  unit: ['packages/*/src/**/*.test.ts'],
  engines: ['packages/*/test/**/*.test.ts'],
  e2e: ['tests/e2e/**/*.test.ts'],
  browser: ['tests/browser/**/*.test.ts'],
  cluster: ['tests/cluster/**/*.test.ts'],
  consumer: ['tests/consumer/**/*.test.ts'],
  binary: ['tests/binary/**/*.test.ts'],
  deploy: ['tests/deploy/**/*.test.ts'],
  container: ['tests/container/**/*.test.ts'],
  docs: ['tests/docs/**/*.test.ts'],
};

const tier = process.argv[2] ?? '';
const patterns = TIERS[tier];
if (patterns === undefined) {
  console.error(`usage: node scripts/run-tests.ts <${Object.keys(TIERS).join('|')}> [node --test flags]`);
  process.exit(2);
}
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `Node ${process.versions.node} is too old: run the tests through npm (npm test), which uses the repo's Node 24.`,
  );
  process.exit(2);
}
const files = patterns.flatMap((p) => globSync(p, { exclude: (f) => f.includes('node_modules') })).sort();
if (files.length === 0) {
  console.error(`no test files for the ${tier} tier (${patterns.join(', ')})`);
  process.exit(1);
}
console.log(`\n== ${tier} tests: ${files.length} files, Node ${process.versions.node}`);
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-timeout=120000', ...process.argv.slice(3), ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
