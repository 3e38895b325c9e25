import type { AuthCommand, ClientInfo, CommandId } from '@switchboard/protocol';
import type { Refusal } from '../auth/access.ts';
import { type Authenticator, type Identity, UNAUTHORIZED_MESSAGE } from '../auth/types.ts';
import type { Config } from '../config/types.ts';
import { anonymousAnywhere } from './channel-options.ts';
import type { ReplySink } from './reply.ts';
import { SessionIdentity } from './session-identity.ts';

const NEEDS_SUBSCRIPTION_TOKEN: Refusal = {
  code: 'forbidden',
  message: 'this channel needs a subscription token',
};

/** What a session's credentials need of the session. */
export interface CredentialsHost {
  /**
   * A credential was refused: `error` `unauthorized` (into `reply`, the refused command's answer; else to the
   * connection), then close 4501.
   */
  refuse(id: CommandId | undefined, reply?: ReplySink): void;
  /** The token expired without a refresh: close 4006. */
  expire(): void;
  /** The identity was replaced by an `auth` (first one or refresh). */
  changed(previous: Identity): void;
}

/**
 * One session's credentials: its identity, the `auth` commands that replace it (one at a time, in order), the
 * expiry timer, and the connect timer that closes a WebSocket that never authenticates where nothing is open to
 * anonymous connections. Every timer is cleared by `stop()`.
 */
export class SessionCredentials {
  readonly #host: CredentialsHost;
  readonly #authenticator: Authenticator;
  readonly #identity: SessionIdentity;
  /** The `auth` being verified: later commands wait for it, so `auth` then `subscribe` needs no round trip. */
  #authenticating: Promise<void> | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    host: CredentialsHost,
    authenticator: Authenticator,
    config: Config,
    client: string,
    identity: Identity,
    kind: 'websocket' | 'sse',
  ) {
    this.#host = host;
    this.#authenticator = authenticator;
    this.#identity = new SessionIdentity(client, identity, () => host.expire());
    if (kind === 'websocket' && !identity.authenticated && !anonymousAnywhere(config)) {
      // Nothing is open to anonymous connections: one that never authenticates only holds a socket.
      this.#connectTimer = setTimeout(() => {
        if (!this.#identity.current.authenticated) host.refuse(undefined);
      }, config.auth.connectTimeoutMs);
      this.#connectTimer.unref();
    }
  }

  get identity(): Identity {
    return this.#identity.current;
  }

  get clientInfo(): ClientInfo {
    return this.#identity.clientInfo;
  }

  /** An `auth` still being verified, which other commands must wait for; undefined when none is. */
  get pending(): Promise<void> | undefined {
    return this.#authenticating;
  }

  /** Runs an `auth` command once every earlier one is done; its answer (`authed`, or a refusal) goes to `reply`. */
  async auth(command: AuthCommand, reply: ReplySink): Promise<void> {
    const previous = this.#authenticating;
    const current = (async () => {
      await previous;
      await this.#verify(command, reply);
    })();
    this.#authenticating = current;
    await current;
    if (this.#authenticating === current) this.#authenticating = undefined;
  }

  /**
   * Verifies a connection token; a later `auth` refreshes it (same user only). A refused token ends the
   * connection: a client holding a bad token cannot fix it by retrying on the same connection.
   */
  async #verify(command: AuthCommand, reply: ReplySink): Promise<void> {
    let identity: Identity;
    try {
      identity = await this.#authenticator.verifyConnection(command.token);
    } catch {
      // The authenticator refuses every bad token the same way and logs only a reason code.
      return this.#host.refuse(command.id, reply);
    }
    // The session may have closed while the token was verified: arm nothing for it.
    if (this.#stopped) return;
    const previous = this.identity;
    if (previous.authenticated && previous.user !== identity.user)
      return this.#host.refuse(command.id, reply);
    clearTimeout(this.#connectTimer);
    this.#identity.replace(identity);
    this.#host.changed(previous);
    reply.reply({
      type: 'authed',
      ...(command.id === undefined ? {} : { id: command.id }),
      user: identity.user,
      expiresAt: identity.expiresAt,
    });
  }

  /**
   * Replaces the identity with one an endpoint vouches for (a Pusher sign-in or presence authorization, checked
   * by its signature): no token, no expiry timer of its own.
   */
  assume(identity: Identity): void {
    if (this.#stopped) return;
    const previous = this.identity;
    clearTimeout(this.#connectTimer);
    this.#identity.replace(identity);
    this.#host.changed(previous);
  }

  /** Null when `token` is a valid subscription token for `channel` and this connection's user. */
  async checkSubscriptionToken(channel: string, token: string | undefined): Promise<Refusal | null> {
    if (token === undefined) return NEEDS_SUBSCRIPTION_TOKEN;
    try {
      await this.#authenticator.verifySubscription(token, channel, this.identity.user);
      return null;
    } catch {
      return { code: 'unauthorized', message: UNAUTHORIZED_MESSAGE };
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#identity.stop();
    clearTimeout(this.#connectTimer);
  }
}
