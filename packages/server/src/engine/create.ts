import { SwitchboardError } from '../errors.ts';
import { createMemoryEngine } from './memory/index.ts';
import type { Engine } from './types.ts';

/**
 * Builds the engine named by `engine.url`: `memory`, or `nats://` from @switchboard/engine-nats (loaded only
 * when asked for, so a memory-only hub never loads a NATS client). Engine options live in the URL's query
 * string and are validated by the engine package.
 */
export async function createEngine(url: string): Promise<Engine> {
  if (url === 'memory' || url === 'memory://') return createMemoryEngine();
  const scheme = url.split(':')[0];
  if (scheme === 'nats') {
    const { createNatsEngine } = await loadPackage<typeof import('@switchboard/engine-nats')>(
      '@switchboard/engine-nats',
      scheme,
    );
    return createNatsEngine(url);
  }
  throw new SwitchboardError(
    'bad_request',
    `engine "${scheme}" is not available in this build; use "memory"`,
  );
}

async function loadPackage<T>(name: string, scheme: string | undefined): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    throw new SwitchboardError(
      'bad_request',
      `engine "${scheme}" needs the package ${name}, which is not installed`,
      {
        cause: err,
      },
    );
  }
}
