import { EngineError } from '@switchboard/engine-kit';
import { createClient, type RedisClientType } from 'redis';
import type { Link } from './link.ts';
import type { RedisEngineOptions, RedisNode } from './options.ts';
import type { Script } from './scripts.ts';

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

class Timeout extends EngineError {}

/**
 * The command connection as the engine uses it: every call bounded by the timeout, failures as `unavailable`.
 *
 * node-redis's own command timeout stops counting once a command is written, so a Redis that stops answering
 * (paused, overloaded, a half-open connection) would hang callers; here each call races the timeout itself. A
 * call that timed out marks the connection stalled (`ready` false) until a later call or a background PING
 * gets an answer, so `/readyz` also reflects a Redis that is connected but not answering.
 */
export class Commands {
  readonly #link: Link;
  readonly #timeoutMs: number;
  #stalled = false;
  #probe: NodeJS.Timeout | undefined;

  constructor(link: Link, timeoutMs: number) {
    this.#link = link;
    this.#timeoutMs = timeoutMs;
  }

  get ready(): boolean {
    return this.#link.isReady && !this.#stalled;
  }

  /** Runs a script by SHA, loading it on `NOSCRIPT` (a restarted or flushed Redis has an empty script cache). */
  async run(s: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await this.#send(['EVALSHA', s.sha, String(keys.length), ...keys, ...args], keys[0]);
    } catch (err) {
      const cause = err instanceof EngineError ? err.cause : err;
      if (!(cause instanceof Error) || !cause.message.startsWith('NOSCRIPT')) throw err;
      return await this.#send(['EVAL', s.source, String(keys.length), ...keys, ...args], keys[0]);
    }
  }

  /** Runs one command; `key` is the first key (or shard channel) it touches, for a cluster to route it. */
  command(args: readonly string[], key?: string): Promise<unknown> {
    return this.#send(args, key);
  }

  close(): void {
    clearInterval(this.#probe);
    this.#probe = undefined;
  }

  async #send(args: readonly string[], key: string | undefined): Promise<unknown> {
    let reply: Promise<unknown>;
    try {
      reply = this.#link.send(args, key);
    } catch (err) {
      throw unavailable(err);
    }
    try {
      const value = await within(reply, this.#timeoutMs, 'a command', Timeout);
      this.#answered();
      return value;
    } catch (err) {
      if (err instanceof Timeout) {
        reply.catch(() => {}); // it may still fail later; nobody waits for it any more
        this.#stall();
      }
      throw unavailable(err);
    }
  }

  #answered(): void {
    if (!this.#stalled) return;
    this.#stalled = false;
    clearInterval(this.#probe);
    this.#probe = undefined;
  }

  #stall(): void {
    this.#stalled = true;
    if (this.#probe !== undefined) return;
    this.#probe = setInterval(
      () => {
        if (!this.#link.isReady) return;
        within(this.#link.send(['PING']), this.#timeoutMs, 'a PING', Timeout).then(
          () => this.#answered(),
          () => {}, // still not answering: the next tick tries again
        );
      },
      Math.max(100, Math.floor(this.#timeoutMs / 2)),
    );
    this.#probe.unref();
  }
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
