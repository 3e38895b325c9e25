import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRedisUrl, REDIS_DEFAULTS } from './options.ts';

describe('redis engine URL options', () => {
  it('takes defaults and strips its own parameters from the URL node-redis gets', () => {
    const o = parseRedisUrl('redis://u:secret@h:6380/2?prefix=app&timeout=500&sharded=no&reconnectMax=200');
    assert.deepEqual(o, {
      url: 'redis://u:secret@h:6380/2',
      prefix: 'app',
      timeoutMs: 500,
      sharded: 'no',
      reconnectMaxMs: 200,
    });
    const d = parseRedisUrl('rediss://h');
    assert.equal(d.prefix, REDIS_DEFAULTS.prefix);
    assert.equal(d.timeoutMs, REDIS_DEFAULTS.timeoutMs);
    assert.equal(d.sharded, 'auto');
  });

  it('refuses bad values, unknown parameters and Sentinel URLs with bad_request, never echoing a password', () => {
    for (const bad of [
      'redis://h?timeout=0',
      'redis://h?timeout=abc',
      'redis://h?prefix=a%7Bb',
      'redis://h?sharded=maybe',
      'redis://u:hunter2@h?nope=1',
      'redis+sentinel://h:26379/mymaster',
      'nats://h',
    ]) {
      assert.throws(
        () => parseRedisUrl(bad),
        (err: Error & { code?: string }) => err.code === 'bad_request' && !err.message.includes('hunter2'),
        bad,
      );
    }
  });
});
