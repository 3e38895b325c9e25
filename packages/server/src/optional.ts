// Packages the hub loads only when a command or a URL asks for them, and only if they are installed: the Redis
// and NATS engines, the load generator. None is a dependency of the server.

/** Loads a package by name: `import()`, unless a test passes another loader. */
export type PackageLoader = (name: string) => Promise<unknown>;

export const importPackage: PackageLoader = (name) => import(name);

/**
 * Whether `import(name)` failed because `name` itself cannot be found, rather than because loading it threw (or
 * a package it needs is missing, which the error names instead).
 */
export function notInstalled(err: unknown, name: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    e.message.includes(`'${name}'`)
  );
}

/** The first line of what was thrown, for a one-line message. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
