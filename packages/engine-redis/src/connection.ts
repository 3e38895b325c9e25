import { EngineError } from '@switchboard/engine-kit';
import { createClient, type RedisClientType } from 'redis';
import type { RedisEngineOptions, RedisNode } from './options.ts';

export type Client = RedisClientType;

/**
 * One node-redis connection, set up to fail fast: no offline queue (a command while disconnected rejects at
 * once instead of waiting for the reconnection), a timeout on every command (see `Commands` for the part
 * node-redis does not bound), and reconnection with a capped backoff that never gives up.
 */
export function connect(options: RedisEngineOptions, name: string, node?: RedisNode): Client {
  const reconnectStrategy = (retries: number) => backoff(retries, options.reconnectMaxMs);
  const common = {
    name,
    disableOfflineQueue: true,
    commandOptions: { timeout: options.timeoutMs },
  };
  const target = options.sentinel;
  // A node given: a master found through Sentinel, reached with the URL's credentials and database.
  const client = (node === undefined || target === undefined
    ? createClient({
        ...common,
        url: options.url,
        socket: { connectTimeout: options.timeoutMs, reconnectStrategy },
      })
    : createClient({
        ...common,
        database: target.database,
        ...(target.username === undefined ? {} : { username: target.username }),
        ...(target.password === undefined ? {} : { password: target.password }),
        socket: { host: node.host, port: node.port, connectTimeout: options.timeoutMs, reconnectStrategy },
      })) as unknown as Client;
  // node-redis emits every connection failure here while it reconnects; `ready()` and the per-call errors are
  // how the hub learns of them, so the events themselves carry nothing more to act on.
  client.on('error', () => {});
  return client;
}

/** The pause before reconnection attempt `retries`: from 25 ms, doubling, capped at `maxMs`. */
export function backoff(retries: number, maxMs: number): number {
  return Math.min(25 * 2 ** Math.min(retries, 10), maxMs);
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

/** Rejects with `unavailable` when `promise` takes longer than `ms` (the work itself may still complete later). */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  Err: new (message: string) => EngineError = EngineError,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Err(`Redis did not answer ${what} within ${ms} ms`)), ms);
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
