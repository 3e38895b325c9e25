// `npm run build`: every package a user installs, built to its dist/ (ESM JavaScript, .d.ts, source maps) by tsc
// with tsconfig.build.json, in dependency order: each package's types come from the dist/ of the ones it uses, so
// a build that leans on a source file outside the package fails here rather than in a user's project. The repo's
// own scripts and tests keep running the TypeScript sources (the `switchboard-source` export condition, .npmrc).
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildClientBundles } from '../tests/helpers/client-bundle.ts';
import { PUBLISHED } from './build/packages.ts';

const ROOT = join(import.meta.dirname, '..');

const started = performance.now();
for (const name of PUBLISHED) {
  const dir = join(ROOT, 'packages', name);
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  // Every package ships the repository's license (npm packs a LICENSE only from the package's own folder).
  copyFileSync(join(ROOT, 'LICENSE'), join(dir, 'LICENSE'));
  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.build.json')],
    {
      stdio: 'inherit',
    },
  );
  if (tsc.status !== 0) {
    console.error(`build: tsc failed for packages/${name}`);
    process.exit(1);
  }
}

// The server's launcher, the inspector's and the console's static files (read at run time from next to their modules).
const server = join(ROOT, 'packages/server');
mkdirSync(join(server, 'dist/bin'), { recursive: true });
copyFileSync(join(server, 'bin/switchboard-dist.js'), join(server, 'dist/bin/switchboard.js'));
cpSync(join(server, 'src/http/inspector'), join(server, 'dist/http/inspector'), { recursive: true });
cpSync(join(server, 'src/http/admin/page'), join(server, 'dist/http/admin/page'), { recursive: true });

// The client's browser bundles (dist/switchboard.min.js, …-shared.js, …-worker.js), for a page or a CDN to serve.
await buildClientBundles();

console.log(
  `build: ${PUBLISHED.length} packages built to packages/*/dist in ${Math.round(performance.now() - started)} ms`,
);
