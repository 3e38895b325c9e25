import { EngineError } from '@switchboard/engine-kit';
import type { Commands } from './commands.ts';

/** One route's WAITs: the one in flight, and the one that callers arriving meanwhile share. */
interface Route {
  current: Promise<number> | undefined;
  queued: Promise<number> | undefined;
}

/**
 * `waitReplicas`: a publish is acknowledged only once that many replicas hold it (`WAIT <n> <timeout>`), so a
 * failover to one of them cannot lose it.
 *
 * WAIT counts the writes of the connection it is sent on, and blocks that connection while it waits: publishes
 * therefore go over a connection of their own (the engine opens it only with this option), and WAITs are
 * coalesced per route (the channel's key on a cluster, where each master is a connection of its own; one route
 * otherwise). One WAIT is in flight per route; every caller arriving meanwhile shares the next one, sent when
 * it returns. A WAIT covers every write sent before it on its connection, so each caller's write is covered by
 * the WAIT it gets.
 */
export class ReplicaWait {
  readonly #commands: Commands;
  readonly #replicas: number;
  readonly #timeoutMs: number;
  readonly #routes = new Map<string, Route>();

  constructor(commands: Commands, replicas: number, timeoutMs: number) {
    this.#commands = commands;
    this.#replicas = replicas;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Resolves once the replicas hold every write this connection made before the call; rejects with
   * `unavailable` when fewer confirm within the timeout (the write stays on the master, unconfirmed).
   * @param key the channel's first key, which routes the WAIT on a cluster.
   * @param route `key` on a cluster, one shared value otherwise.
   */
  async confirm(key: string, route: string): Promise<void> {
    const acknowledged = await this.#next(key, route);
    if (acknowledged < this.#replicas)
      throw new EngineError(
        `${acknowledged} of ${this.#replicas} replica(s) confirmed the publication within ${this.#timeoutMs} ms: ` +
          'the master has it, but a failover could lose it (a retry with the same idempotency key publishes it once)',
      );
  }

  #next(key: string, route: string): Promise<number> {
    let r = this.#routes.get(route);
    if (r === undefined) {
      r = { current: undefined, queued: undefined };
      this.#routes.set(route, r);
    }
    const state = r;
    if (state.current === undefined) return this.#send(key, route, state);
    state.queued ??= state.current
      .then(
        () => {},
        () => {},
      )
      .then(() => {
        state.queued = undefined;
        return this.#send(key, route, state);
      });
    return state.queued;
  }

  #send(key: string, route: string, state: Route): Promise<number> {
    // WAIT answers by itself within the timeout; the bound on the call leaves it that time to answer.
    const wait = this.#commands
      .command(['WAIT', String(this.#replicas), String(this.#timeoutMs)], key, 2 * this.#timeoutMs)
      .then(Number);
    state.current = wait;
    const done = () => {
      if (state.current !== wait) return;
      state.current = undefined;
      if (state.queued === undefined) this.#routes.delete(route);
    };
    wait.then(done, done);
    return wait;
  }
}
