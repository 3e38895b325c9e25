// The import graph of the repository's TypeScript, read from the sources (no build): which file imports which,
// resolved through relative paths and the workspace packages' `exports`. scripts/check-imports.ts checks it.
import { existsSync, globSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface Import {
  /** The specifier as written. */
  readonly specifier: string;
  /** `import()` in code: loaded on demand, so it cannot take part in a cycle at load time. */
  readonly dynamic: boolean;
  /** The repo-relative file it resolves to; undefined for a package outside the workspace or a Node builtin. */
  readonly file: string | undefined;
  /** The workspace package it names (`@switchboard/x`), if any. */
  readonly workspacePackage: string | undefined;
}

export interface SourceFile {
  readonly path: string;
  /** The workspace package the file belongs to (`@switchboard/x`), undefined outside packages/. */
  readonly pkg: string | undefined;
  readonly imports: readonly Import[];
}

export interface WorkspacePackage {
  readonly name: string;
  readonly dir: string;
  readonly dependencies: ReadonlySet<string>;
  readonly devDependencies: ReadonlySet<string>;
  /** Subpath (`.`, `./conformance`) to repo-relative file. */
  readonly exports: ReadonlyMap<string, string>;
}

const SOURCES = [
  'packages/*/src/**/*.ts',
  'packages/*/test/**/*.ts',
  'packages/*/bin/**/*.js',
  'tests/**/*.ts',
  'bench/**/*.ts',
  'demos/**/*.ts',
  'scripts/**/*.ts',
];

/** The export condition under which each workspace package names its TypeScript source (see .npmrc). */
const SOURCE_CONDITION = 'switchboard-source';

// Statements start a line (the formatter puts them there); comments and strings never do.
const STATIC = /^(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]|^import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

export function readWorkspace(root: string): Map<string, WorkspacePackage> {
  const out = new Map<string, WorkspacePackage>();
  for (const manifest of globSync('packages/*/package.json', { cwd: root })) {
    const json = JSON.parse(readFileSync(join(root, manifest), 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
      exports?: Record<string, string | Record<string, string>>;
    };
    const dir = dirname(manifest);
    const exports = new Map<string, string>();
    for (const [sub, target] of Object.entries(json.exports ?? {})) {
      // A published entry names its built files and, under the `switchboard-source` condition, the source file the
      // repo runs; the import graph is about the sources.
      const source = typeof target === 'string' ? target : target[SOURCE_CONDITION];
      if (source !== undefined) exports.set(sub, join(dir, source));
    }
    out.set(json.name, {
      name: json.name,
      dir,
      dependencies: new Set([
        ...Object.keys(json.dependencies ?? {}),
        ...Object.keys(json.optionalDependencies ?? {}),
      ]),
      devDependencies: new Set(Object.keys(json.devDependencies ?? {})),
      exports,
    });
  }
  return out;
}

function resolvePackage(specifier: string, workspace: Map<string, WorkspacePackage>) {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
  const pkg = workspace.get(name);
  if (pkg === undefined) return { file: undefined, workspacePackage: undefined };
  const sub = `.${specifier.slice(name.length)}`;
  let file = pkg.exports.get(sub);
  if (file === undefined) {
    // A wildcard export: `./*` -> `./src/*.ts`.
    for (const [pattern, target] of pkg.exports) {
      if (!pattern.endsWith('*') || !sub.startsWith(pattern.slice(0, -1))) continue;
      file = target.replace('*', sub.slice(pattern.length - 1));
    }
  }
  return { file, workspacePackage: name };
}

export function readSources(root: string, workspace = readWorkspace(root)): SourceFile[] {
  const files = SOURCES.flatMap((p) =>
    globSync(p, { cwd: root, exclude: (f) => f.includes('node_modules') || f.includes('dist') }),
  ).sort();
  const owner = (path: string): string | undefined => {
    for (const pkg of workspace.values()) if (path.startsWith(`${pkg.dir}/`)) return pkg.name;
    return undefined;
  };
  return files.map((path) => {
    const text = readFileSync(join(root, path), 'utf8');
    const imports: Import[] = [];
    const add = (specifier: string, dynamic: boolean): void => {
      if (specifier.startsWith('.')) {
        const target = relative(root, resolve(root, dirname(path), specifier));
        imports.push({
          specifier,
          dynamic,
          file: existsSync(join(root, target)) ? target : undefined,
          workspacePackage: undefined,
        });
      } else imports.push({ specifier, dynamic, ...resolvePackage(specifier, workspace) });
    };
    for (const m of text.matchAll(STATIC)) add((m[1] ?? m[2])!, false);
    for (const m of text.matchAll(DYNAMIC)) add(m[1]!, true);
    return { path, pkg: owner(path), imports };
  });
}

/** Strongly connected components of more than one file (or a file importing itself): the import cycles. */
export function cycles(files: readonly SourceFile[]): string[][] {
  const edges = new Map<string, string[]>();
  for (const f of files)
    edges.set(
      f.path,
      f.imports.filter((i) => !i.dynamic && i.file !== undefined).map((i) => i.file!),
    );
  // Tarjan's algorithm, iterative (deep import chains would overflow a recursive one).
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const start of edges.keys()) {
    if (indices.has(start)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: start, next: 0 }];
    indices.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work.at(-1)!;
      const targets = edges.get(top.node) ?? [];
      if (top.next < targets.length) {
        const target = targets[top.next++]!;
        if (!indices.has(target)) {
          indices.set(target, index);
          low.set(target, index++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(top.node, Math.min(low.get(top.node)!, indices.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work.at(-1);
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(top.node)!));
      if (low.get(top.node) === indices.get(top.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== top.node);
        if (component.length > 1 || targets.includes(top.node)) out.push(component.sort());
      }
    }
  }
  return out;
}
