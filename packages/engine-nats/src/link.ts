import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { EngineError } from '@switchboard/engine-kit';
import type { NatsEngineConfig } from './url.ts';

/** JetStream's error code for a failed `Nats-Expected-Last-Subject-Sequence` (another node appended first). */
export const WRONG_LAST_SEQUENCE = 10071;
/** JetStream's error code for a stream that does not exist (deleted, or a broker restarted without its store). */
export const STREAM_NOT_FOUND = 10059;

/** The JetStream API error code an error carries, if any. */
export function apiErrorCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; api_error?: { err_code?: unknown } };
  if (typeof e.api_error?.err_code === 'number') return e.api_error.err_code;
  return typeof e.code === 'number' ? e.code : undefined;
}

/**
 * One connection to NATS, shared by the engine's three roles: it knows whether the broker is reachable right now
 * (`connected`), makes every call fail fast while it is not, bounds every call by the configured timeout, and tells
 * its listeners when a lost connection comes back (so they can catch up on what they missed).
 */
export class NatsLink {
  readonly nc: NatsConnection;
  readonly timeoutMs: number;
  #connected = true;
  #closed = false;
  readonly #onReconnect = new Set<() => void>();

  private constructor(nc: NatsConnection, timeoutMs: number) {
    this.nc = nc;
    this.timeoutMs = timeoutMs;
    void this.#watch();
  }

  /** Connects, or fails with `unavailable` once `connectTimeoutMs` passed without a server answering. */
  static async open(config: NatsEngineConfig): Promise<NatsLink> {
    try {
      const nc = await connect({
        servers: [...config.servers],
        timeout: config.connectTimeoutMs,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: config.reconnectWaitMs,
        reconnectJitter: Math.min(100, config.reconnectWaitMs),
        // Dead connections must be noticed within a few seconds, not the client's default of minutes.
        pingInterval: Math.max(1_000, config.timeoutMs),
        maxPingOut: 2,
        name: `switchboard-${config.prefix}`,
        ...(config.user === undefined ? {} : { user: config.user }),
        ...(config.pass === undefined ? {} : { pass: config.pass }),
        ...(config.token === undefined ? {} : { token: config.token }),
      });
      return new NatsLink(nc, config.timeoutMs);
    } catch (err) {
      throw new EngineError(`cannot reach NATS at ${config.servers.join(', ')}`, { cause: err });
    }
  }

  async #watch(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') this.#connected = false;
      else if (s.type === 'reconnect') {
        this.#connected = true;
        for (const listener of this.#onReconnect) listener();
      }
    }
  }

  get connected(): boolean {
    return this.#connected && !this.#closed && !this.nc.isClosed();
  }

  /** Called after every reconnect, once subscriptions are re-established. */
  onReconnect(listener: () => void): void {
    this.#onReconnect.add(listener);
  }

  /** Throws `unavailable` at once while NATS is unreachable, instead of queueing behind the reconnect. */
  guard(): void {
    if (this.#closed) throw new EngineError('the NATS engine is closed');
    if (!this.connected) throw new EngineError('NATS is unreachable');
  }

  /**
   * Runs one engine operation: fails fast while disconnected, never outlives the timeout, and turns whatever the
   * client throws into `unavailable` (the raw message stays in `cause`, for logs, never for clients).
   */
  async call<T>(what: string, op: () => Promise<T>): Promise<T> {
    this.guard();
    let timer: NodeJS.Timeout | undefined;
    const running = op();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new EngineError(`NATS did not answer in time (${what})`)),
        this.timeoutMs,
      );
      timer.unref();
    });
    try {
      return await Promise.race([running, timeout]);
    } catch (err) {
      if (err instanceof EngineError) {
        // The operation may still settle later; its outcome no longer matters to anyone.
        running.catch(() => {});
        throw err;
      }
      throw new EngineError(`NATS ${what} failed`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onReconnect.clear();
    await this.nc.close().catch(() => {
      // Closing an already broken connection: nothing left to release.
    });
  }
}
