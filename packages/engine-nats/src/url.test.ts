import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NATS_DEFAULTS, parseNatsUrl } from './url.ts';

describe('NATS engine URL', () => {
  it('fills every default for a bare URL', () => {
    const c = parseNatsUrl('nats://127.0.0.1:4333');
    assert.deepEqual(c, { ...NATS_DEFAULTS, servers: ['127.0.0.1:4333'] });
  });

  it('defaults the port to 4222 and reads every option', () => {
    const c = parseNatsUrl(
      'nats://nats.internal?prefix=hub_1&timeout=500ms&connectTimeout=3s&reconnectWait=100ms&maxAge=2h' +
        '&maxHistory=500&storage=memory&replicas=3&presenceMaxAge=2m&idempotencyMaxAge=10m&servers=b:4222,c:4223',
    );
    assert.deepEqual(c, {
      servers: ['nats.internal:4222', 'b:4222', 'c:4223'],
      prefix: 'hub_1',
      timeoutMs: 500,
      connectTimeoutMs: 3_000,
      reconnectWaitMs: 100,
      maxAgeMs: 7_200_000,
      maxHistory: 500,
      storage: 'memory',
      replicas: 3,
      presenceMaxAgeMs: 120_000,
      idempotencyMaxAgeMs: 600_000,
    });
  });

  it('takes user and password, or a lone user as a token', () => {
    const c = parseNatsUrl('nats://alice:s%40cret@h:1');
    assert.equal(c.user, 'alice');
    assert.equal(c.pass, 's@cret');
    assert.equal(parseNatsUrl('nats://tok3n@h:1').token, 'tok3n');
  });

  for (const [url, message] of [
    ['nats://h:1?bogus=1', /unknown option "bogus"; known: prefix, timeout/],
    ['nats://h:1?timeout=fast', /option "timeout"/],
    ['nats://h:1?timeout=10ms', /option "timeout" must be between 50ms/],
    ['nats://h:1?timeout=1s&timeout=2s', /given twice/],
    ['nats://h:1?prefix=a.b', /option "prefix" must be 1 to 32/],
    ['nats://h:1?storage=disk', /"file" or "memory"/],
    ['nats://h:1?replicas=0', /between 1 and 5/],
    ['nats://h:1?maxHistory=1.5', /whole number/],
    ['nats://h:1?servers=nope', /"nope" is not host:port/],
    ['nats://h:1/path', /a path is not supported/],
    ['redis://h:1', /expected nats:\/\//],
    ['not a url', /not a URL/],
  ] as const) {
    it(`refuses ${url} with a coded error`, () => {
      assert.throws(
        () => parseNatsUrl(url),
        (err: any) => {
          assert.equal(err.code, 'bad_request');
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  it('never shows the password in an error', () => {
    assert.throws(
      () => parseNatsUrl('nats://u:hunter2@h:1?bogus=1'),
      (err: any) => !String(err.message).includes('hunter2'),
    );
  });
});
