import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULTS } from '../config/defaults.ts';
import type { Config } from '../config/types.ts';
import { channelOptionsFrom } from './channel-options.ts';

const config: Config = {
  ...DEFAULTS,
  channel: { ...DEFAULTS.channel, presence: false },
  namespaces: {
    chat: { presence: true, joinLeave: true, history: { size: 500 } },
    quotes: { delivery: { policy: 'latest', conflateKey: 'symbol', maxRate: 10 }, maxMessageBytes: 1024 },
  },
};

describe('channelOptionsFrom', () => {
  const options = channelOptionsFrom(config);

  it('takes a channel namespace from the part before its first colon, over the default namespace', () => {
    const chat = options('chat:lobby:2');
    assert.equal(chat.namespace, 'chat');
    assert.equal(chat.presence, true);
    assert.equal(chat.joinLeave, true);
    assert.deepEqual(chat.history, { ...DEFAULTS.channel.history, size: 500 });
    assert.equal(chat.maxMessageBytes, DEFAULTS.limits.maxMessageBytes, '0 means the hub-wide limit');
    assert.equal(chat.delivery.policy, 'all');
  });

  it('resolves delivery options, the conflation key only for latest', () => {
    const q = options('quotes:AAPL');
    assert.deepEqual(q.delivery, { policy: 'latest', conflateKey: 'symbol', queueSize: 100, maxRate: 10 });
    assert.equal(q.maxMessageBytes, 1024);
  });

  it('uses the default namespace for channels without a colon, an unknown prefix, or a leading colon', () => {
    for (const channel of ['lobby', 'other:lobby', ':chat']) {
      const o = options(channel);
      assert.equal(o.namespace, '', channel);
      assert.equal(o.presence, false, channel);
      assert.equal(o.delivery.conflateKey, null, channel);
    }
  });
});
