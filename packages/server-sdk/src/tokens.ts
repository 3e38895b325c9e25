import { SignJWT } from 'jose';

/** The claims of a connection token, as the hub reads them (docs/security.md). */
export interface ConnectionClaims {
  /** The user. */
  readonly sub?: string;
  /** Client info shown in presence (at most 2 KiB of JSON). */
  readonly info?: unknown;
  /** Channel patterns the connection may subscribe to, publish to, and read presence of. */
  readonly subscribe?: readonly string[];
  readonly publish?: readonly string[];
  readonly presence?: readonly string[];
}

/** The claims of a subscription token: one channel, for one user (absent for an anonymous connection). */
export interface SubscriptionClaims {
  readonly channel: string;
  readonly sub?: string;
}

export interface SignOptions {
  /** The hub's `auth.secret` (HS256). */
  readonly secret: string;
  /** Lifetime: seconds, or a jose time span like `"15m"`. Default `"1h"`. */
  readonly expiresIn?: number | string;
  readonly audience?: string;
  readonly issuer?: string;
}

/** A connection token (HS256 JWT) the hub accepts with `auth.secret`. */
export function connectionToken(claims: ConnectionClaims, options: SignOptions): Promise<string> {
  return sign({ ...claims }, options);
}

/** A subscription token for `claims.channel` (channels in `auth.subscriptionTokenChannels`). */
export function subscriptionToken(claims: SubscriptionClaims, options: SignOptions): Promise<string> {
  return sign({ ...claims }, options);
}

async function sign(payload: Record<string, unknown>, options: SignOptions): Promise<string> {
  const expiresIn = options.expiresIn ?? '1h';
  let jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(typeof expiresIn === 'number' ? Math.floor(Date.now() / 1000) + expiresIn : expiresIn);
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
