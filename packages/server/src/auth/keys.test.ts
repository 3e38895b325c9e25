import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadKey } from './keys.ts';

const base = { secret: '', publicKey: '', jwksUrl: '', jwksCooldownMs: 0, algorithms: [] as string[] };
const pem = (type: 'rsa' | 'ec' | 'ed25519', curve?: string) =>
  (type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: curve! })
      : generateKeyPairSync('ed25519')
  ).publicKey.export({ type: 'spki', format: 'pem' }) as string;

function algorithms(settings: Partial<typeof base>): readonly string[] | string {
  const r = loadKey({ ...base, ...settings });
  if (!r.ok) return r.message;
  return r.key?.algorithms ?? [];
}

describe('verification keys', () => {
  it('take their algorithms from the key, never HMAC for a public key', () => {
    assert.deepEqual(algorithms({ secret: 'x'.repeat(32) }), ['HS256', 'HS384', 'HS512']);
    assert.deepEqual(algorithms({ publicKey: pem('rsa') }), [
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
    ]);
    assert.deepEqual(algorithms({ publicKey: pem('ec', 'P-256') }), ['ES256']);
    assert.deepEqual(algorithms({ publicKey: pem('ec', 'P-384') }), ['ES384']);
    assert.deepEqual(algorithms({ publicKey: pem('ed25519') }), ['EdDSA', 'Ed25519']);
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    assert.deepEqual(algorithms({ publicKey: JSON.stringify(jwk) }), ['ES256']);
    const rsaJwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    assert.deepEqual(algorithms({ publicKey: JSON.stringify({ ...rsaJwk, alg: 'PS256' }) }), ['PS256']);
    assert.match(
      String(algorithms({ publicKey: JSON.stringify({ ...rsaJwk, alg: 'HS256' }) })),
      /does not fit/,
    );
    const jwks = algorithms({ jwksUrl: 'http://127.0.0.1:1/jwks.json' });
    assert.ok(Array.isArray(jwks) && !jwks.some((a) => a.startsWith('HS')));
  });

  it('narrow to auth.algorithms, refusing ones the key cannot verify', () => {
    assert.deepEqual(algorithms({ secret: 'x'.repeat(32), algorithms: ['HS512'] }), ['HS512']);
    assert.match(String(algorithms({ publicKey: pem('rsa'), algorithms: ['HS256'] })), /cannot be verified/);
  });

  it('refuse unusable settings without showing key material', () => {
    const secret = 'short-secret-value';
    const msg = String(algorithms({ secret }));
    assert.match(msg, /at least 32 bytes/);
    assert.ok(!msg.includes(secret));
    assert.match(String(algorithms({ secret: 'x'.repeat(32), publicKey: pem('rsa') })), /only one/);
    const priv = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    assert.match(String(algorithms({ publicKey: priv })), /private key/);
    assert.match(String(algorithms({ publicKey: '{"kty":"oct","k":"AAAA"}' })), /symmetric/);
    assert.match(String(algorithms({ publicKey: 'not a key' })), /neither a PEM/);
    assert.deepEqual(algorithms({}), []);
  });
});
