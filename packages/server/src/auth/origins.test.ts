import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OriginPolicy, originEntryError } from './origins.ts';

describe('origin policy', () => {
  const policy = new OriginPolicy([
    'https://app.example.com',
    'http://localhost:3000',
    'https://*.example.org',
  ]);

  it('allows listed origins, wildcard subdomains, and requests without an Origin', () => {
    assert.equal(policy.allows(undefined), true);
    assert.equal(policy.allows('https://app.example.com'), true);
    assert.equal(policy.allows('http://localhost:3000'), true);
    assert.equal(policy.allows('https://a.example.org'), true);
    assert.equal(policy.allows('https://a.b.example.org'), true);
  });

  it('refuses everything else, including look-alikes', () => {
    for (const o of [
      'https://evil.com',
      'http://app.example.com',
      'https://app.example.com.evil.com',
      'https://example.org',
      'https://evil.com/.example.org',
      'https://x.example.org:8443',
      'null',
      '',
    ])
      assert.equal(policy.allows(o), false, o);
  });

  it('gives CORS headers: * without credentials, or the echoed origin with credentials', () => {
    assert.deepEqual(new OriginPolicy(['*']).corsHeaders('https://x.test'), {
      'access-control-allow-origin': '*',
    });
    assert.deepEqual(policy.corsHeaders('https://app.example.com'), {
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
    assert.deepEqual(policy.corsHeaders('https://evil.com'), {});
  });

  it('validates entries', () => {
    assert.equal(originEntryError('*'), null);
    assert.equal(originEntryError('https://*.example.com'), null);
    assert.equal(originEntryError('http://localhost:8080'), null);
    assert.notEqual(originEntryError('https://example.com/'), null);
    assert.notEqual(originEntryError('example.com'), null);
    assert.notEqual(originEntryError('ftp://example.com'), null);
  });
});
