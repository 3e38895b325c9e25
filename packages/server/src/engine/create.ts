import type { Engine, EngineLog } from '@switchboard/engine-kit';
import { SwitchboardError } from '../errors.ts';
import { firstLine, importPackage, notInstalled, type PackageLoader } from '../optional.ts';
import { createMemoryEngine } from './memory/index.ts';

/** The Redis engine package's entry point, as this file uses it. */
interface RedisEnginePackage {
  createRedisEngine(url: string, hooks: { log?: EngineLog }): Promise<Engine>;
}

/** The NATS engine package's entry point, as this file uses it. */
interface NatsEnginePackage {
  createNatsEngine(url: string): Promise<Engine>;
}

const REDIS_SCHEMES = ['redis', 'rediss', 'redis+sentinel', 'redis+cluster'];

/**
 * Builds the engine named by `engine.url`: `memory`; `redis://`, `rediss://`, `redis+sentinel://` and
 * `redis+cluster://` from @switchboard/engine-redis; `nats://` from @switchboard/engine-nats. An engine package
 * is loaded only when its scheme is asked for, so a memory-only hub never loads a Redis or NATS client, and the
 * server does not depend on either: a URL naming one that is not installed is refused with a message saying
 * what to install. Engine options live in the URL's query string and are validated by the engine package
 * (docs/scaling.md).
 */
export async function createEngine(
  url: string,
  log?: EngineLog,
  load: PackageLoader = importPackage,
): Promise<Engine> {
  if (url === 'memory' || url === 'memory://') return createMemoryEngine();
  const scheme = url.split(':')[0] ?? '';
  if (REDIS_SCHEMES.includes(scheme)) {
    const pkg = await loadEngine<RedisEnginePackage>(load, '@switchboard/engine-redis', scheme);
    return pkg.createRedisEngine(url, log === undefined ? {} : { log });
  }
  if (scheme === 'nats') {
    const pkg = await loadEngine<NatsEnginePackage>(load, '@switchboard/engine-nats', scheme);
    return pkg.createNatsEngine(url);
  }
  throw new SwitchboardError(
    'bad_request',
    `engine "${scheme}" is not available in this build; use "memory", redis:// or nats://`,
  );
}

async function loadEngine<T>(load: PackageLoader, name: string, scheme: string): Promise<T> {
  try {
    return (await load(name)) as T;
  } catch (err) {
    throw new SwitchboardError(
      'bad_request',
      notInstalled(err, name)
        ? `engine "${scheme}" needs the package ${name}, which is not installed: npm install ${name}`
        : `engine "${scheme}": the package ${name} is installed but failed to load: ${firstLine(err)}`,
      { cause: err },
    );
  }
}
