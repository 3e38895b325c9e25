/** Channel patterns (see patterns.ts) a connection may use, one list per action. */
export interface Permissions {
  readonly subscribe: readonly string[];
  readonly publish: readonly string[];
  readonly presence: readonly string[];
}

export const NO_PERMISSIONS: Permissions = { subscribe: [], publish: [], presence: [] };

/** Who a connection is. Anonymous connections have `user: null`, no expiry and no permissions of their own. */
export interface Identity {
  /** The token's `sub`, or null. */
  readonly user: string | null;
  /** Whether the connection presented verified credentials. */
  readonly authenticated: boolean;
  /** Client info shown in presence (the token's `info` claim), if any. */
  readonly info?: unknown;
  /** When the credentials stop being valid (ms since the epoch, leeway included), or null for never. */
  readonly expiresAt: number | null;
  readonly permissions: Permissions;
}

export const ANONYMOUS: Identity = {
  user: null,
  authenticated: false,
  expiresAt: null,
  permissions: NO_PERMISSIONS,
};

/** The one message of every refused credential: it never says which check failed. */
export const UNAUTHORIZED_MESSAGE = 'invalid credentials';

/**
 * Verifies the tokens clients present. Implementations promise:
 * - **Only verified identities.** A promise resolves only for a token whose signature verifies with the configured
 *   key under an algorithm that key allows (never one the token's header picks: no `none`, no HMAC with a public
 *   key), that carries `exp` and is inside `exp`/`nbf` (with the configured leeway), and whose `aud`/`iss` match
 *   when they are configured.
 * - **One uniform refusal.** Every failure, whatever the cause (malformed, bad signature, expired, wrong
 *   audience, key set unreachable), rejects with the same `SwitchboardError('unauthorized', UNAUTHORIZED_MESSAGE)`;
 *   the cause goes only to the debug log, as a code, never with the token.
 * - **No token kept or logged.** The token string is not stored, logged or echoed.
 * - **Bounded work.** Oversize tokens are refused before any parsing; a JWKS is fetched at most once per cooldown.
 */
export interface Authenticator {
  /** Whether any key is configured; without one every token is refused. */
  readonly enabled: boolean;
  /** Verifies a connection token; a token with a `channel` claim (a subscription token) is refused. */
  verifyConnection(token: string): Promise<Identity>;
  /**
   * Verifies a subscription token: signed like connection tokens, with a `channel` claim naming exactly
   * `channel` and a `sub` equal to `user` (absent for anonymous connections).
   */
  verifySubscription(token: string, channel: string, user: string | null): Promise<void>;
}
