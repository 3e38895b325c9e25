import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Loads a package by name, as the hub's optional loaders do. */
export type PackageLoader = (name: string) => Promise<unknown>;

/**
 * A loader that runs `import(name)` from a module in a fresh temporary directory where no package is installed:
 * what the hub meets when an optional package (an engine, the load generator) was left out of an install. The
 * import fails for real, with Node's own error. `cleanup` removes the directory.
 */
export async function loaderWithoutPackages(): Promise<{ load: PackageLoader; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-no-packages-'));
  const file = join(dir, 'loader.mjs');
  writeFileSync(file, 'export const load = (name) => import(name);\n');
  const { load } = (await import(pathToFileURL(file).href)) as { load: PackageLoader };
  return { load, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
