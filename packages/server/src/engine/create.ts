import { SwitchboardError } from '../errors.ts';
import { createMemoryEngine } from './memory/index.ts';
import type { Engine } from './types.ts';

/** What an engine may log through: connection losses and recoveries (the hub's pino logger fits). */
export interface EngineLog {
  warn(context: object, message: string): void;
  info(context: object, message: string): void;
}

/** The Redis engine package's entry point, as this file uses it. */
interface RedisEnginePackage {
  createRedisEngine(url: string, hooks: { log?: EngineLog }): Promise<Engine>;
}

const REDIS_SCHEMES = ['redis', 'rediss', 'redis+sentinel', 'redis+cluster'];

/**
 * Builds the engine named by `engine.url`: `memory`; `redis://`, `rediss://`, `redis+sentinel://` and
 * `redis+cluster://` from @switchboard/engine-redis;
 * `nats://` from @switchboard/engine-nats. An engine package is loaded only when its scheme is asked for, so a
 * memory-only hub never loads a Redis or NATS client. Engine options live in the URL's query string and are
 * validated by the engine package (docs/scaling.md).
 */
export async function createEngine(url: string, log?: EngineLog): Promise<Engine> {
  if (url === 'memory' || url === 'memory://') return createMemoryEngine();
  const scheme = url.split(':')[0] ?? '';
  if (REDIS_SCHEMES.includes(scheme)) {
    const pkg = await loadPackage<RedisEnginePackage>('@switchboard/engine-redis', scheme);
    return pkg.createRedisEngine(url, log === undefined ? {} : { log });
  }
  if (scheme === 'nats') {
    const { createNatsEngine } = await loadPackage<typeof import('@switchboard/engine-nats')>(
      '@switchboard/engine-nats',
      scheme,
    );
    return createNatsEngine(url);
  }
  throw new SwitchboardError(
    'bad_request',
    `engine "${scheme}" is not available in this build; use "memory", redis:// or nats://`,
  );
}

async function loadPackage<T>(name: string, scheme: string): Promise<T> {
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
