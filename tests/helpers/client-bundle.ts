import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..', '..');
const CLIENT = join(ROOT, 'packages', 'client');
export const DIST = join(CLIENT, 'dist');
/** The export condition that points the workspace packages at their TypeScript sources (see .npmrc). */
const SOURCE_CONDITION = 'switchboard-source';

/** The browser bundles of the client SDK, as written to packages/client/dist (never committed). */
export interface ClientBundles {
  /** `switchboard.js`: the core client, ESM, readable. */
  readonly core: string;
  /** `switchboard.min.js`: the same, minified: what the size budget is about. */
  readonly coreMin: string;
  /** `switchboard-shared.js`: the core plus tab sharing (`createSharedClient`), minified. */
  readonly shared: string;
  /** `switchboard-worker.js`: the SharedWorker entry, minified. */
  readonly worker: string;
  /** Gzipped bytes (level 9) of the minified bundles. */
  readonly gzip: { readonly core: number; readonly shared: number; readonly worker: number };
}

async function bundle(entry: string, minify: boolean): Promise<string> {
  const result = await build({
    entryPoints: [join(CLIENT, 'src', entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify,
    write: false,
    legalComments: 'none',
    conditions: [SOURCE_CONDITION],
  });
  return result.outputFiles[0]!.text;
}

let cached: Promise<ClientBundles> | undefined;

/** Builds every bundle once per process (esbuild, a few hundred ms) and writes them to `dist/`. */
export function buildClientBundles(): Promise<ClientBundles> {
  cached ??= (async () => {
    const [core, coreMin, sharedMin, workerMin] = await Promise.all([
      bundle('index.ts', false),
      bundle('index.ts', true),
      bundle('shared-entry.ts', true),
      bundle('share/worker.ts', true),
    ]);
    mkdirSync(DIST, { recursive: true });
    // Test files run in parallel processes and each builds: write-then-rename, so no file is ever half written.
    const write = (name: string, text: string) => {
      const tmp = join(DIST, `.${name}.${process.pid}.tmp`);
      writeFileSync(tmp, text);
      renameSync(tmp, join(DIST, name));
    };
    write('switchboard.js', core);
    write('switchboard.min.js', coreMin);
    write('switchboard-shared.js', sharedMin);
    write('switchboard-worker.js', workerMin);
    const gz = (text: string) => gzipSync(text, { level: 9 }).length;
    return {
      core,
      coreMin,
      shared: sharedMin,
      worker: workerMin,
      gzip: { core: gz(coreMin), shared: gz(sharedMin), worker: gz(workerMin) },
    };
  })();
  return cached;
}

/** Bundles a test page's script (for example a React app) into one ESM file, in memory. */
export async function bundlePageScript(entry: string, define: Record<string, string> = {}): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    define,
    conditions: [SOURCE_CONDITION],
  });
  return result.outputFiles[0]!.text;
}

/** The static files a test page needs on the front's origin: a blank page and the bundles. */
export async function clientPageFiles(): Promise<Record<string, { type: string; body: string }>> {
  const b = await buildClientBundles();
  const js = 'text/javascript; charset=utf-8';
  return {
    '/': {
      type: 'text/html; charset=utf-8',
      body: '<!doctype html><meta charset="utf-8"><title>client test</title>',
    },
    '/switchboard.js': { type: js, body: b.core },
    '/switchboard-shared.js': { type: js, body: b.shared },
    '/switchboard-worker.js': { type: js, body: b.worker },
  };
}
