import { EngineError } from '@switchboard/engine-kit';
import { unavailable, within } from './connection.ts';
import type { Link } from './link.ts';
import type { Script } from './scripts.ts';

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
      return await this.#send(
        ['EVALSHA', s.sha, String(keys.length), ...keys, ...args],
        keys[0],
        this.#timeoutMs,
      );
    } catch (err) {
      const cause = err instanceof EngineError ? err.cause : err;
      if (!(cause instanceof Error) || !cause.message.startsWith('NOSCRIPT')) throw err;
      return await this.#send(
        ['EVAL', s.source, String(keys.length), ...keys, ...args],
        keys[0],
        this.#timeoutMs,
      );
    }
  }

  /**
   * Runs one command; `key` is the first key (or shard channel) it touches, for a cluster to route it. `boundMs`
   * replaces the timeout for a command that waits on purpose (`WAIT`).
   */
  command(args: readonly string[], key?: string, boundMs = this.#timeoutMs): Promise<unknown> {
    return this.#send(args, key, boundMs);
  }

  close(): void {
    clearInterval(this.#probe);
    this.#probe = undefined;
  }

  async #send(args: readonly string[], key: string | undefined, boundMs: number): Promise<unknown> {
    let reply: Promise<unknown>;
    try {
      reply = this.#link.send(args, key);
    } catch (err) {
      throw unavailable(err);
    }
    try {
      const value = await within(reply, boundMs, 'a command', Timeout);
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
