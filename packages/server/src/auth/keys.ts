// Verification keys from configuration, and the algorithms each may verify. The accepted algorithms follow the
// key, never a token's header: an HMAC secret verifies only HS*, an RSA key only RS*/PS*, and so on, so a token
// cannot pick `none` or turn a public key into an HMAC secret.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
const PSS_ALGORITHMS = ['PS256', 'PS384', 'PS512'] as const;
const EC_ALGORITHMS: Readonly<Record<string, string>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};
const EDDSA_ALGORITHMS = ['EdDSA', 'Ed25519'] as const;
/** Every algorithm a public key of some kind can verify: what a JWKS may use. */
export const PUBLIC_ALGORITHMS: readonly string[] = [
  ...RSA_ALGORITHMS,
  'ES256',
  'ES384',
  'ES512',
  ...EDDSA_ALGORITHMS,
];
export const KNOWN_ALGORITHMS: readonly string[] = [...HMAC_ALGORITHMS, ...PUBLIC_ALGORITHMS];

/** HS256 needs a secret at least as long as its hash (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32;

export interface KeySettings {
  readonly secret: string;
  readonly publicKey: string;
  readonly jwksUrl: string;
  readonly jwksCooldownMs: number;
  readonly algorithms: readonly string[];
}

/** A verification key (or key set) and the algorithms it may verify. */
export interface VerificationKey {
  readonly key: Uint8Array | KeyObject | JWTVerifyGetKey;
  readonly algorithms: readonly string[];
  readonly kind: 'hmac' | 'public' | 'jwks';
}

export type KeyOutcome =
  | { readonly ok: true; readonly key: VerificationKey | null }
  | { readonly ok: false; readonly message: string };

/** The key, and the `alg` a JWK pins it to (if any); or a message saying why it is unusable. */
function parsePublicKey(text: string): { key: KeyObject; alg: string | undefined } | string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let jwk: Record<string, unknown>;
    try {
      jwk = JSON.parse(trimmed) as Record<string, unknown>;
    } catch {
      return 'auth.publicKey starts with "{" but is not valid JSON (a JWK)';
    }
    if (jwk.kty === 'oct') return 'auth.publicKey is a symmetric JWK; put an HMAC secret in auth.secret';
    if (jwk.d !== undefined) return 'auth.publicKey is a private JWK; give the hub only the public key';
    try {
      const key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      return { key, alg: typeof jwk.alg === 'string' ? jwk.alg : undefined };
    } catch {
      return 'auth.publicKey is not a usable public JWK';
    }
  }
  if (/PRIVATE KEY-----/.test(trimmed))
    return 'auth.publicKey is a private key; give the hub only the public key';
  try {
    return { key: createPublicKey(trimmed), alg: undefined };
  } catch {
    return 'auth.publicKey is neither a PEM public key nor a JWK';
  }
}

function algorithmsOf(key: KeyObject): readonly string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return RSA_ALGORITHMS;
    case 'rsa-pss':
      return PSS_ALGORITHMS;
    case 'ec': {
      const alg = EC_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? ''];
      return alg === undefined ? [] : [alg];
    }
    case 'ed25519':
      return EDDSA_ALGORITHMS;
    default:
      return [];
  }
}

/** Narrows `fit` to the configured `algorithms`; a configured algorithm the key cannot verify is a mistake. */
function narrow(
  fit: readonly string[],
  algorithms: readonly string[],
  what: string,
): KeyOutcome | readonly string[] {
  if (algorithms.length === 0) return fit;
  const foreign = algorithms.filter((a) => !fit.includes(a));
  if (foreign.length > 0)
    return { ok: false, message: `auth.algorithms: ${foreign.join(', ')} cannot be verified with ${what}` };
  return algorithms;
}

/**
 * Reads the key settings: exactly one of `secret`, `publicKey`, `jwksUrl`, or none (no authentication). Never
 * puts key material in a message. The JWKS is not fetched here; jose fetches it on first use, caches it, and
 * fetches again (at most once per cooldown) when a token names a `kid` it does not have.
 */
export function loadKey(s: KeySettings): KeyOutcome {
  const set = [s.secret, s.publicKey, s.jwksUrl].filter((v) => v !== '').length;
  if (set === 0) {
    if (s.algorithms.length > 0)
      return {
        ok: false,
        message: 'auth.algorithms needs a key (auth.secret, auth.publicKey or auth.jwksUrl)',
      };
    return { ok: true, key: null };
  }
  if (set > 1) return { ok: false, message: 'give only one of auth.secret, auth.publicKey and auth.jwksUrl' };
  if (s.secret !== '') {
    const bytes = new TextEncoder().encode(s.secret);
    if (bytes.length < MIN_SECRET_BYTES)
      return {
        ok: false,
        message: `auth.secret must be at least ${MIN_SECRET_BYTES} bytes (value not shown)`,
      };
    const algs = narrow(HMAC_ALGORITHMS, s.algorithms, 'an HMAC secret');
    if (!Array.isArray(algs)) return algs as KeyOutcome;
    return { ok: true, key: { key: bytes, algorithms: algs, kind: 'hmac' } };
  }
  if (s.publicKey !== '') {
    const parsed = parsePublicKey(s.publicKey);
    if (typeof parsed === 'string') return { ok: false, message: parsed };
    const { key, alg } = parsed;
    const family = algorithmsOf(key);
    if (family.length === 0)
      return { ok: false, message: 'auth.publicKey is not an RSA, P-256/P-384/P-521 or Ed25519 public key' };
    // A JWK's own `alg` pins it to that one algorithm (RFC 7517 §4.4).
    if (alg !== undefined && !family.includes(alg))
      return { ok: false, message: `auth.publicKey: its "alg" ${alg} does not fit its key type` };
    const fit = alg === undefined ? family : [alg];
    const algs = narrow(fit, s.algorithms, `this ${key.asymmetricKeyType} key`);
    if (!Array.isArray(algs)) return algs as KeyOutcome;
    return { ok: true, key: { key, algorithms: algs, kind: 'public' } };
  }
  const algs = narrow(PUBLIC_ALGORITHMS, s.algorithms, 'a JWKS (public keys only)');
  if (!Array.isArray(algs)) return algs as KeyOutcome;
  const jwks = createRemoteJWKSet(new URL(s.jwksUrl), {
    cooldownDuration: s.jwksCooldownMs,
    timeoutDuration: 5_000,
  });
  return { ok: true, key: { key: jwks, algorithms: algs, kind: 'jwks' } };
}
