import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRedisUrl, REDIS_DEFAULTS } from './options.ts';

describe('redis engine URL options', () => {
  it('takes defaults and strips its own parameters from the URL node-redis gets', () => {
    const o = parseRedisUrl(
      'redis://u:secret@h:6380/2?prefix=app&timeout=500&sharded=no&reconnectMax=200&waitReplicas=2',
    );
    assert.deepEqual(o, {
      url: 'redis://u:secret@h:6380/2',
      prefix: 'app',
      timeoutMs: 500,
      sharded: 'no',
      reconnectMaxMs: 200,
      waitReplicas: 2,
    });
    const d = parseRedisUrl('rediss://h');
    assert.equal(d.prefix, REDIS_DEFAULTS.prefix);
    assert.equal(d.timeoutMs, REDIS_DEFAULTS.timeoutMs);
    assert.equal(d.sharded, 'auto');
    assert.equal(d.waitReplicas, 0);
  });

  it('reads a Sentinel URL: sentinels (default port 26379), master name, db, credentials for the master', () => {
    const o = parseRedisUrl(
      'redis+sentinel://app:p%40ss@s1:26380,s2,[::1]:26381/cache/3?prefix=x&timeout=700',
    );
    assert.deepEqual(o.sentinel, {
      master: 'cache',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      database: 3,
      username: 'app',
      password: 'p@ss',
    });
    assert.equal(o.prefix, 'x');
    assert.equal(o.timeoutMs, 700);
    const plain = parseRedisUrl('redis+sentinel://s1/mymaster');
    assert.deepEqual(plain.sentinel, {
      master: 'mymaster',
      sentinels: [{ host: 's1', port: 26379 }],
      database: 0,
    });
    assert.equal(plain.sharded, 'auto');
    assert.equal(parseRedisUrl('redis://h').sentinel, undefined);
  });

  it('reads a Cluster URL: seed nodes (default port 6379) and credentials', () => {
    const o = parseRedisUrl('redis+cluster://u:pw@n1:7000,n2?timeout=900');
    assert.deepEqual(o.cluster, {
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 6379 },
      ],
      username: 'u',
      password: 'pw',
    });
    assert.equal(o.timeoutMs, 900);
    assert.equal(o.sentinel, undefined);
    assert.deepEqual(parseRedisUrl('redis+cluster://n1:7000/').cluster, {
      nodes: [{ host: 'n1', port: 7000 }],
    });
  });

  it('refuses bad values, unknown parameters and malformed Sentinel URLs with bad_request, never echoing a password', () => {
    for (const bad of [
      'redis://h?timeout=0',
      'redis://h?timeout=abc',
      'redis://h?prefix=a%7Bb',
      'redis://h?sharded=maybe',
      'redis://h?waitReplicas=-1',
      'redis://h?waitReplicas=101',
      'redis://h?waitReplicas=one',
      'redis://u:hunter2@h?nope=1',
      'nats://h',
      'redis+sentinel://h:26379',
      'redis+sentinel:///mymaster',
      'redis+sentinel://h:99999/mymaster',
      'redis+sentinel://h/my%20master',
      'redis+sentinel://h/m/16',
      'redis+sentinel://h/m/1/x',
      'redis+sentinel://u:hunter2@h/m?nope=1',
      'rediss+sentinel://h/m',
      'redis+cluster://',
      'redis+cluster://h:7000/2',
      'redis+cluster://u:hunter2@h:7000?sharded=no',
      'redis+cluster://h:0',
    ]) {
      assert.throws(
        () => parseRedisUrl(bad),
        (err: Error & { code?: string }) => err.code === 'bad_request' && !err.message.includes('hunter2'),
        bad,
      );
    }
  });
});
