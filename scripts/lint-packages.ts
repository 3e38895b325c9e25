// `npm run lint:packages`: publint (strict: warnings fail) and Are The Types Wrong (`attw`, ESM-only profile: the
// packages are ESM and say so) on every published package, as packed by npm. Needs `npm run build` first.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLISHED } from './build/packages.ts';

const ROOT = join(import.meta.dirname, '..');
const bin = (name: string) => join(ROOT, 'node_modules/.bin', name);

const failed: string[] = [];
for (const name of PUBLISHED) {
  const dir = join(ROOT, 'packages', name);
  if (!existsSync(join(dir, 'dist'))) {
    console.error(`lint:packages: packages/${name}/dist is missing: run \`npm run build\` first`);
    process.exit(1);
  }
  console.log(`\n== @switchboard/${name}`);
  const runs: [string, string[]][] = [
    ['publint', ['run', '--strict', '--pack', 'npm']],
    ['attw', ['--pack', '.', '--profile', 'esm-only', '--format', 'table-flipped']],
  ];
  for (const [tool, args] of runs) {
    const r = spawnSync(bin(tool), args, { cwd: dir, stdio: 'inherit' });
    if (r.status !== 0) failed.push(`${tool} @switchboard/${name}`);
  }
  // What a user reads first on the registry, and the terms: both in every tarball.
  const packed = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: dir, encoding: 'utf8' });
  const files = new Set(
    (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [],
  );
  for (const file of ['README.md', 'LICENSE']) {
    if (!files.has(file)) failed.push(`@switchboard/${name} ships no ${file}`);
  }
}
if (failed.length > 0) {
  console.error(`\nlint:packages failed: ${failed.join(', ')}`);
  process.exit(1);
}
console.log(`\nlint:packages: publint and attw pass on ${PUBLISHED.length} packages`);
