// JWT claims to an Identity. Pure: a claim of the wrong shape makes the whole token unusable.
import type { JWTPayload } from 'jose';
import { patternError } from './patterns.ts';
import type { Identity, Permissions } from './types.ts';

/** Most patterns per action in one token, and the largest `info` claim: they live as long as the connection. */
export const MAX_PATTERNS = 256;
export const MAX_INFO_BYTES = 2_048;
const MAX_USER_LENGTH = 255;

function patterns(value: unknown): readonly string[] | null {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_PATTERNS) return null;
  for (const p of value) if (typeof p !== 'string' || patternError(p) !== null) return null;
  return value as string[];
}

/**
 * Reads `sub` (the user), `info` (presence client info), and `subscribe` / `publish` / `presence` (arrays of
 * channel patterns). `exp` is already checked by the verifier; `leewayMs` is added to it for the expiry.
 * Returns null when a claim is unusable.
 */
export function identityFrom(payload: JWTPayload, leewayMs: number): Identity | null {
  if (typeof payload.exp !== 'number') return null;
  return claimsIdentity(payload, payload.exp * 1000 + leewayMs);
}

/** The identity the claims describe, expiring at `expiresAt` (null: never); null when a claim is unusable. */
export function claimsIdentity(payload: Record<string, unknown>, expiresAt: number | null): Identity | null {
  const { sub } = payload;
  if (sub !== undefined && (typeof sub !== 'string' || sub === '' || sub.length > MAX_USER_LENGTH))
    return null;
  const subscribe = patterns(payload.subscribe);
  const publish = patterns(payload.publish);
  const presence = patterns(payload.presence);
  if (subscribe === null || publish === null || presence === null) return null;
  const permissions: Permissions = { subscribe, publish, presence };
  const identity = {
    user: (sub as string | undefined) ?? null,
    authenticated: true,
    expiresAt,
    permissions,
  };
  if (payload.info === undefined) return identity;
  const json = JSON.stringify(payload.info);
  if (json === undefined || Buffer.byteLength(json) > MAX_INFO_BYTES) return null;
  return { ...identity, info: payload.info };
}
