import { SwitchboardError } from '../errors.ts';
import { createMemoryEngine } from './memory/index.ts';
import type { Engine } from './types.ts';

/** The engine packages, loaded only when their scheme is asked for (a memory-only hub never loads a client). */
interface RedisEnginePackage {
  createRedisEngine(url: string, hooks: { log?: EngineLog }): Promise<Engine>;
}

/** What an engine may log through: connection losses and recoveries (the hub's pino logger fits). */
export interface EngineLog {
  warn(context: object, message: string): void;
  info(context: object, message: string): void;
}

const REDIS_SCHEMES = ['redis:', 'rediss:', 'redis+sentinel:'];

async function load<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    throw new SwitchboardError('bad_request', `engine package ${name} is not installed`, { cause: err });
  }
}

/**
 * Builds the engine named by `engine.url`: `memory`, or `redis://` / `rediss://` (package
 * `@switchboard/engine-redis`, options in the URL's query string, see docs/scaling.md).
 */
export async function createEngine(url: string, log?: EngineLog): Promise<Engine> {
  if (url === 'memory' || url === 'memory://') return createMemoryEngine();
  const scheme = `${url.split(':')[0]}:`;
  if (REDIS_SCHEMES.includes(scheme)) {
    const pkg = await load<RedisEnginePackage>('@switchboard/engine-redis');
    return pkg.createRedisEngine(url, log === undefined ? {} : { log });
  }
  throw new SwitchboardError(
    'bad_request',
    `engine "${url.split(':')[0]}" is not available in this build; use "memory" or redis://`,
  );
}
