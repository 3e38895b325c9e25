import { createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';

/** A 40-byte HMAC secret for test hubs. */
export const TEST_SECRET = 'test-secret-0123456789-0123456789-abcdef';

export interface SignOptions {
  readonly alg?: string;
  readonly key?: KeyObject | Uint8Array;
  readonly kid?: string;
  /** Seconds from now; null leaves `exp` out. Default 600. */
  readonly expiresIn?: number | null;
  readonly notBefore?: number;
  readonly audience?: string;
  readonly issuer?: string;
}

/** Signs `claims` as a JWT (HS256 with TEST_SECRET unless told otherwise). */
export async function sign(claims: JWTPayload, o: SignOptions = {}): Promise<string> {
  const alg = o.alg ?? 'HS256';
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT(claims).setProtectedHeader(o.kid === undefined ? { alg } : { alg, kid: o.kid });
  jwt = jwt.setIssuedAt(now);
  if (o.expiresIn !== null) jwt = jwt.setExpirationTime(now + (o.expiresIn ?? 600));
  if (o.notBefore !== undefined) jwt = jwt.setNotBefore(now + o.notBefore);
  if (o.audience !== undefined) jwt = jwt.setAudience(o.audience);
  if (o.issuer !== undefined) jwt = jwt.setIssuer(o.issuer);
  return jwt.sign(o.key ?? new TextEncoder().encode(TEST_SECRET));
}

/** An unsigned token (`alg: none`), which no verifier may accept. */
export function unsigned(claims: JWTPayload): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
}

export function rsaPair(): { publicKey: KeyObject; privateKey: KeyObject; pem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { publicKey, privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

export function ecPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** The HMAC key an algorithm-confusion attacker would build from a public key's PEM text. */
export function confusedKey(pem: string): KeyObject {
  return createSecretKey(Buffer.from(pem));
}
