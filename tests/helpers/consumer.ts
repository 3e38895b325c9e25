// A project outside the repository that uses the packages as a user gets them: `npm pack` of every published
// package (after `npm run build`), installed from the tarballs into a fresh folder under the system's temp dir.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { until } from '@switchboard/test-helpers/wait';
import { PUBLISHED } from '../../scripts/build/packages.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

/**
 * The environment of a user's shell: no NODE_OPTIONS (the repo's `switchboard-source` condition would point the
 * packages at sources the tarballs do not ship), no npm script variables, a PATH with this Node first and nothing
 * from the repository on it.
 */
export function userEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => p !== '' && !p.startsWith(ROOT) && !p.includes('node_modules'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || k.startsWith('npm_') || k.startsWith('SWITCHBOARD_') || k === 'INIT_CWD')
      continue;
    env[k] = v;
  }
  return { ...env, PATH: [dirname(process.execPath), ...path].join(delimiter), ...extra };
}

/** Runs `npm run build`, then packs every published package into `dir`; returns the tarballs' paths. */
export function buildAndPack(dir: string): string[] {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.ts')], { stdio: 'inherit' });
  for (const name of PUBLISHED) {
    execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], {
      cwd: join(ROOT, 'packages', name),
      env: userEnv(),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const tarballs = readdirSync(dir)
    .filter((f) => f.endsWith('.tgz'))
    .map((f) => join(dir, f));
  if (tarballs.length !== PUBLISHED.length)
    throw new Error(`expected ${PUBLISHED.length} tarballs in ${dir}, found ${tarballs.join(', ')}`);
  return tarballs;
}

/**
 * A fresh ESM project in a new temp folder with the tarballs installed, and `deps` (name@range) from the
 * registry (npm's cache first). Returns its folder.
 */
export function consumerProject(tarballs: readonly string[], deps: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-consumer-'));
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs, ...deps],
    { cwd: dir, env: userEnv(), stdio: ['ignore', 'inherit', 'inherit'] },
  );
  return dir;
}

/** A running `npx switchboard serve` in `dir` (its own process group, so `stop()` ends npx and the hub). */
export interface ServedHub {
  readonly port: number;
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `command args…` (a `switchboard` of some form) and waits for the banner to learn its port. */
export async function startServed(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<ServedHub> {
  const child: ChildProcess = spawn(command, args, {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString('utf8');
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone between the check and the signal.
      }
      await exited;
    }
  };
  try {
    // npx may first resolve the package; a hub starts in well under a second once Node runs it.
    const port = await until(
      () => {
        if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}: ${output}`);
        const m = /WebSocket\s+ws:\/\/[^\s]+:(\d+)\/ws/.exec(output);
        return m === null ? undefined : Number(m[1]);
      },
      () => `the banner of ${command} ${args.join(' ')}; output so far: ${output}`,
      60_000,
    );
    return { port, url: `http://127.0.0.1:${port}`, output: () => output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
