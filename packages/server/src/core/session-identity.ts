import type { ClientInfo } from '@switchboard/protocol';
import type { Identity } from '../auth/types.ts';
import { MAX_TIMER_MS } from '../config/leaves.ts';

/**
 * A session's identity and the timer that ends it when its credentials expire. Replaced as a whole by a token
 * refresh; `stop()` clears the timer (a closed session leaves nothing scheduled).
 */
export class SessionIdentity {
  #identity: Identity;
  #info: ClientInfo;
  #timer: NodeJS.Timeout | undefined;
  readonly #client: string;
  readonly #onExpire: () => void;

  constructor(client: string, identity: Identity, onExpire: () => void) {
    this.#client = client;
    this.#onExpire = onExpire;
    this.#identity = identity;
    this.#info = infoOf(client, identity);
    this.#arm();
  }

  get current(): Identity {
    return this.#identity;
  }

  get clientInfo(): ClientInfo {
    return this.#info;
  }

  replace(identity: Identity): void {
    this.#identity = identity;
    this.#info = infoOf(this.#client, identity);
    this.#arm();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    this.stop();
    const at = this.#identity.expiresAt;
    if (at === null) return;
    const wait = at - Date.now();
    if (wait <= 0) {
      // Expired already (a refresh raced the clock): end on the next turn, never inside the caller.
      this.#timer = setTimeout(this.#onExpire, 0);
    } else {
      // Timers longer than MAX_TIMER_MS would fire at once; wait in steps instead.
      this.#timer = setTimeout(() => this.#expireOrWait(), Math.min(wait, MAX_TIMER_MS));
    }
    this.#timer.unref();
  }

  #expireOrWait(): void {
    const at = this.#identity.expiresAt;
    if (at !== null && at <= Date.now()) this.#onExpire();
    else this.#arm();
  }
}

function infoOf(client: string, identity: Identity): ClientInfo {
  return identity.info === undefined
    ? { client, user: identity.user }
    : { client, user: identity.user, info: identity.info };
}
