import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import pino from 'pino';
import { SwitchboardError } from '../errors.ts';
import { JwtAuthenticator } from './jwt.ts';
import { loadKey } from './keys.ts';
import { UNAUTHORIZED_MESSAGE } from './types.ts';

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';
const silent = pino({ level: 'silent' });

function pair(alg: string): { sign: KeyObject | Uint8Array; verify: string } {
  if (alg.startsWith('HS')) return { sign: new TextEncoder().encode(SECRET), verify: SECRET };
  const kp = alg.startsWith('RS')
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : alg.startsWith('PS')
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : alg === 'ES384'
          ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
          : generateKeyPairSync('ed25519');
  return { sign: kp.privateKey, verify: kp.publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

function authenticator(verify: string, hmac: boolean): JwtAuthenticator {
  const r = loadKey({
    secret: hmac ? verify : '',
    publicKey: hmac ? '' : verify,
    jwksUrl: '',
    jwksCooldownMs: 0,
    algorithms: [],
  });
  assert.ok(r.ok && r.key !== null);
  return new JwtAuthenticator(r.key, { audience: '', issuer: '', leewayMs: 0 }, silent);
}

async function token(alg: string, key: KeyObject | Uint8Array, exp = 600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'u1', subscribe: ['a:*'], info: { n: 1 } })
    .setProtectedHeader({ alg })
    .setExpirationTime(now + exp)
    .sign(key);
}

describe('JWT verification', () => {
  for (const alg of [
    'HS256',
    'HS384',
    'HS512',
    'RS256',
    'RS384',
    'RS512',
    'PS256',
    'PS384',
    'PS512',
    'ES256',
    'ES384',
    'EdDSA',
  ]) {
    it(`verifies ${alg} and reads the claims`, async () => {
      const { sign, verify } = pair(alg);
      const a = authenticator(verify, alg.startsWith('HS'));
      const identity = await a.verifyConnection(await token(alg, sign));
      assert.equal(identity.user, 'u1');
      assert.equal(identity.authenticated, true);
      assert.deepEqual(identity.permissions.subscribe, ['a:*']);
      assert.deepEqual(identity.info, { n: 1 });
      assert.ok(identity.expiresAt !== null && identity.expiresAt > Date.now());
    });
  }

  it('refuses an expired token and a token of another key with the same error', async () => {
    const { sign, verify } = pair('ES256');
    const a = authenticator(verify, false);
    const expired = await token('ES256', sign, -5);
    const foreign = await token('ES256', pair('ES256').sign);
    for (const t of [expired, foreign]) {
      await assert.rejects(a.verifyConnection(t), (err: unknown) => {
        assert.ok(err instanceof SwitchboardError);
        assert.equal(err.code, 'unauthorized');
        assert.equal(err.message, UNAUTHORIZED_MESSAGE);
        return true;
      });
    }
  });

  it('checks a subscription token against the channel and the user', async () => {
    const { sign, verify } = pair('HS256');
    const a = authenticator(verify, true);
    const now = Math.floor(Date.now() / 1000);
    const t = await new SignJWT({ sub: 'u1', channel: 'private:r' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now + 60)
      .sign(sign);
    await a.verifySubscription(t, 'private:r', 'u1');
    await assert.rejects(a.verifySubscription(t, 'private:other', 'u1'));
    await assert.rejects(a.verifySubscription(t, 'private:r', 'u2'));
    await assert.rejects(a.verifySubscription(t, 'private:r', null));
  });
});
