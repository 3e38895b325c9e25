import { EngineError } from '@switchboard/server/errors';
import { createClient, type RedisClientType } from 'redis';
import type { RedisEngineOptions } from './options.ts';
import type { Script } from './scripts.ts';

export type Client = RedisClientType;

/**
 * One node-redis connection, set up to fail fast: no offline queue (a command while disconnected rejects at
 * once instead of waiting for the reconnection), a timeout on every command, and reconnection with a capped
 * backoff that never gives up.
 */
export function connect(options: RedisEngineOptions, name: string): Client {
  const client = createClient({
    url: options.url,
    name,
    disableOfflineQueue: true,
    commandOptions: { timeout: options.timeoutMs },
    socket: {
      connectTimeout: options.timeoutMs,
      reconnectStrategy: (retries: number) =>
        Math.min(25 * 2 ** Math.min(retries, 10), options.reconnectMaxMs),
    },
  }) as unknown as Client;
  // node-redis emits every connection failure here while it reconnects; `ready()` and the per-call errors are
  // how the hub learns of them, so the events themselves carry nothing more to act on.
  client.on('error', () => {});
  return client;
}

/** Opens the connection, bounded by the timeout: a Redis unreachable at start-up is an error, not a hang. */
export async function open(client: Client, options: RedisEngineOptions): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EngineError(`cannot reach Redis within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
  });
  try {
    await Promise.race([client.connect(), timeout]);
  } catch (err) {
    discard(client);
    throw err instanceof EngineError ? err : new EngineError('cannot reach Redis', { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/** Any failure talking to Redis, as the coded error the hub answers with (503 `unavailable`). */
export function unavailable(err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  return new EngineError('the Redis engine is unavailable', { cause: err });
}

/** Runs a script by SHA, loading it on `NOSCRIPT` (a restarted or flushed Redis has an empty script cache). */
export async function run(
  client: Client,
  s: Script,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  try {
    try {
      return await client.sendCommand(['EVALSHA', s.sha, String(keys.length), ...keys, ...args]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return await client.sendCommand(['EVAL', s.source, String(keys.length), ...keys, ...args]);
    }
  } catch (err) {
    throw unavailable(err);
  }
}

/** Runs one command, mapping failures to `unavailable`. */
export async function command(client: Client, args: readonly string[]): Promise<unknown> {
  try {
    return await client.sendCommand(args);
  } catch (err) {
    throw unavailable(err);
  }
}

/** Rejects with `unavailable` when `promise` takes longer than `ms` (the work itself may still complete later). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EngineError(`Redis did not answer ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Drops a connection now, whatever state it is in (node-redis throws when destroying a closed client). */
export function discard(client: Client): void {
  try {
    client.destroy();
  } catch {
    // already closed: nothing left to drop
  }
}
