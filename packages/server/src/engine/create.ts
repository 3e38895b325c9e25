import { SwitchboardError } from '../errors.ts';
import { createMemoryEngine } from './memory/index.ts';
import type { Engine } from './types.ts';

/** Builds the engine named by `engine.url`: `memory` today; `redis://` and `nats://` come with their packages. */
export async function createEngine(url: string): Promise<Engine> {
  if (url === 'memory' || url === 'memory://') return createMemoryEngine();
  throw new SwitchboardError(
    'bad_request',
    `engine "${url.split(':')[0]}" is not available in this build; use "memory"`,
  );
}
