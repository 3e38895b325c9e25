// `npm run check:imports` (part of `npm test`): the import graph keeps the architecture's boundaries.
// - No import cycle between files (type-only imports count: a cycle of types is a cycle of concepts).
// - No package imports the server, except the server's own CLI, the tests and the demos (which embed it): engines build on
//   @switchboard/engine-kit, the load generator on the protocol.
// - A package imports only workspace packages it declares (tests may use devDependencies too).
// - Inside the server, layers talk one step down: core knows the Transport interface and nothing else of
//   transport/, endpoints/ or http/; transports know the prepared frames of core and nothing else of it.
// - The protocol and the client run in browsers: no Node builtins outside their tests.
import { fileURLToPath } from 'node:url';
import { cycles, type Import, readSources, readWorkspace, type SourceFile } from './imports.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER = '@switchboard/server';
const SERVER_DIR = 'packages/server/';

const isTest = (path: string): boolean =>
  path.startsWith('tests/') || /^packages\/[^/]+\/test\//.test(path) || path.endsWith('.test.ts');

/**
 * The single executable's entry: the server's CLI bundled with the engines and the load generator, which the
 * server itself must not depend on. It is a second packaging of the CLI, so it may import the server.
 */
const isBinaryEntry = (path: string): boolean => path.startsWith('scripts/binary/');

/** Server folders and what each may import of the others (by path prefix under packages/server/src/). */
const LAYERS: ReadonlyArray<{ from: string; refuses: readonly string[]; except?: readonly string[] }> = [
  {
    from: 'core/',
    refuses: ['transport/', 'endpoints/', 'http/', 'cli/', 'server.ts'],
    except: ['transport/types.ts'],
  },
  {
    from: 'transport/',
    refuses: ['core/', 'endpoints/', 'http/', 'cli/', 'server.ts'],
    except: ['core/prepared.ts'],
  },
  { from: 'engine/', refuses: ['core/', 'transport/', 'endpoints/', 'http/', 'cli/', 'server.ts'] },
  { from: 'endpoints/', refuses: ['cli/', 'server.ts'] },
];
const CORE_REFUSES_MODULES = ['ws', 'node:http', 'node:https', 'node:net', 'node:http2'];
const BROWSER_PACKAGES = ['packages/protocol/', 'packages/client/'];

function layerProblems(f: SourceFile, i: Import): string[] {
  const base = `${SERVER_DIR}src/`;
  if (!f.path.startsWith(base) || isTest(f.path)) return [];
  const from = f.path.slice(base.length);
  const out: string[] = [];
  if (from.startsWith('core/') && CORE_REFUSES_MODULES.includes(i.specifier))
    out.push(`${f.path} imports ${i.specifier}: core never touches sockets or HTTP`);
  if (i.file === undefined || !i.file.startsWith(base)) return out;
  const to = i.file.slice(base.length);
  for (const rule of LAYERS) {
    if (!from.startsWith(rule.from)) continue;
    if (rule.except?.includes(to)) continue;
    if (rule.refuses.some((r) => to.startsWith(r)))
      out.push(`${f.path} imports ${i.specifier}: ${rule.from} must not reach ${to}`);
  }
  return out;
}

export function check(root: string): string[] {
  const workspace = readWorkspace(root);
  const files = readSources(root, workspace);
  const problems: string[] = [];
  if (files.length < 100) problems.push(`only ${files.length} source files found: the scan is broken`);
  for (const cycle of cycles(files)) problems.push(`import cycle: ${cycle.join(' -> ')}`);
  for (const f of files) {
    const test = isTest(f.path);
    const pkg = f.pkg === undefined ? undefined : workspace.get(f.pkg);
    for (const i of f.imports) {
      if (i.specifier.startsWith('.') && i.file === undefined)
        problems.push(`${f.path}: cannot resolve ${i.specifier}`);
      const intoServer =
        i.workspacePackage === SERVER || (i.file?.startsWith(SERVER_DIR) === true && f.pkg !== SERVER);
      // demos/ is an application that embeds the hub (npm run demos), as a user's would; bench/idle-heap.ts
      // measures a hub in its own process (heap snapshots), which only embedding allows.
      const embeds = f.path.startsWith('demos/') || f.path === 'bench/idle-heap.ts';
      if (intoServer && f.pkg !== SERVER && !test && !isBinaryEntry(f.path) && !embeds)
        problems.push(
          `${f.path} imports the server (${i.specifier}): only its CLI, the binary's entry, the tests, demos/ and bench/idle-heap.ts may`,
        );
      if (pkg !== undefined && i.workspacePackage !== undefined && i.workspacePackage !== pkg.name) {
        const declared =
          pkg.dependencies.has(i.workspacePackage) || (test && pkg.devDependencies.has(i.workspacePackage));
        if (!declared)
          problems.push(`${f.path} imports ${i.workspacePackage}, which ${pkg.name} does not declare`);
      }
      if (BROWSER_PACKAGES.some((p) => f.path.startsWith(p)) && !test && i.specifier.startsWith('node:'))
        problems.push(`${f.path} imports ${i.specifier}: this package runs in browsers`);
      problems.push(...layerProblems(f, i));
    }
  }
  return problems;
}

if (import.meta.main) {
  const problems = check(ROOT);
  if (problems.length > 0) {
    console.error(`import check: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
    process.exit(1);
  }
  console.log('import check: no cycles, no package reaches into the server, layers one step down');
}
