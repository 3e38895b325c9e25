import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULTS } from '../config/defaults.ts';
import type { Config } from '../config/types.ts';
import { channelOptionsFrom } from '../core/channel-options.ts';
import { Access } from './access.ts';
import { TicketStore } from './tickets.ts';
import { ANONYMOUS, type Identity } from './types.ts';

const withKey: Config = {
  ...DEFAULTS,
  auth: { ...DEFAULTS.auth, secret: 'x'.repeat(32), subscriptionTokenChannels: ['private:*'] },
};
const user = (sub: string, subscribe: string[] = []): Identity => ({
  user: sub,
  authenticated: true,
  expiresAt: null,
  permissions: { subscribe, publish: [], presence: [] },
});

describe('access rules', () => {
  it('with no key: anonymous everywhere except user channels', () => {
    const access = new Access(DEFAULTS, channelOptionsFrom(DEFAULTS));
    assert.equal(access.check(ANONYMOUS, 'subscribe', 'chat:lobby'), null);
    assert.equal(access.check(ANONYMOUS, 'publish', 'chat:lobby'), null);
    assert.equal(access.check(ANONYMOUS, 'subscribe', 'user#42')?.code, 'unauthorized');
  });

  it('with a key: token patterns, user channels for their users only, nothing anonymous', () => {
    const access = new Access(withKey, channelOptionsFrom(withKey));
    assert.equal(access.check(ANONYMOUS, 'subscribe', 'chat:lobby')?.code, 'unauthorized');
    assert.equal(access.check(user('42', ['chat:*']), 'subscribe', 'chat:lobby'), null);
    assert.equal(access.check(user('42', ['chat:*']), 'publish', 'chat:lobby')?.code, 'forbidden');
    assert.equal(access.check(user('42'), 'subscribe', 'user#42'), null);
    assert.equal(access.check(user('42'), 'presence', 'dm#41,42'), null);
    assert.equal(access.check(user('43', ['*']), 'subscribe', 'user#42')?.code, 'forbidden');
    assert.equal(access.needsSubscriptionToken('private:room'), true);
    assert.equal(access.needsSubscriptionToken('private:room#42'), false);
    assert.equal(access.needsSubscriptionToken('chat:lobby'), false);
  });
});

describe('tickets', () => {
  it('work once, within their life, and are bounded', () => {
    const store = new TicketStore(1_000);
    const { ticket, expiresAt } = store.issue(user('1'), 0);
    assert.equal(expiresAt, 1_000);
    assert.equal(store.redeem(ticket, 10)?.user, '1');
    assert.equal(store.redeem(ticket, 10), null);
    const late = store.issue(user('2'), 0).ticket;
    assert.equal(store.redeem(late, 1_000), null);
    store.issue(user('3'), 0);
    store.sweep(5_000);
    assert.equal(store.size, 0);
  });
});
