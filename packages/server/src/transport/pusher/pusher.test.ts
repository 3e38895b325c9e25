// The Pusher wire pieces as pure functions: channel names, publications as events, and the presence roster.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientInfo } from '@switchboard/protocol';
import { eventJson } from './events.ts';
import { hubChannel, pusherChannel } from './names.ts';
import { Roster } from './roster.ts';

const pub = (channel: string, data: string) => ({ channel, data, epoch: 'e', offset: 1, time: 0 });

describe('channel names', () => {
  it('are the same in both dialects, but the per-user channel', () => {
    assert.equal(hubChannel('presence-room.1'), 'presence-room.1');
    assert.equal(hubChannel('#server-to-user-42'), 'server-to-user#42');
    assert.equal(pusherChannel('server-to-user#42'), '#server-to-user-42');
    assert.equal(pusherChannel('chat:lobby'), 'chat:lobby');
  });
  it("refuse what Pusher does not allow, and Pusher's `;`", () => {
    for (const bad of ['', 'a b', 'x'.repeat(165), 'semi;colon', '#server-to-user-a,b', '#other'])
      assert.equal(hubChannel(bad), null, bad);
  });
});

describe('publications as Pusher events', () => {
  it('read an envelope as the named event, its data as it is', () => {
    assert.equal(
      eventJson(pub('news', '{"event":"headline","data":"{\\"t\\":1}"}')),
      '{"event":"headline","channel":"news","data":"{\\"t\\":1}"}',
    );
    assert.equal(
      eventJson(pub('presence-r', '{"event":"client-x","data":{"a":1},"user_id":"u1"}')),
      '{"event":"client-x","channel":"presence-r","data":{"a":1},"user_id":"u1"}',
    );
    assert.equal(
      eventJson(pub('server-to-user#7', '{"event":"note","data":"x"}')),
      '{"event":"note","channel":"#server-to-user-7","data":"x"}',
    );
  });
  it('read any other data as `message` carrying its JSON text', () => {
    assert.equal(eventJson(pub('c', '{"v":2}')), '{"event":"message","channel":"c","data":"{\\"v\\":2}"}');
    assert.equal(eventJson(pub('c', '[1]')), '{"event":"message","channel":"c","data":"[1]"}');
    assert.equal(
      eventJson(pub('c', '{"event":3,"data":1}')),
      '{"event":"message","channel":"c","data":"{\\"event\\":3,\\"data\\":1}"}',
    );
  });
  it('read bytes as `message` carrying {"data_b64": …} as JSON text', () => {
    assert.equal(
      eventJson(pub('c', 'bAP8=')),
      '{"event":"message","channel":"c","data":"{\\"data_b64\\":\\"AP8=\\"}"}',
    );
  });
});

describe('Roster', () => {
  const who = (client: string, user: string, info?: unknown): ClientInfo =>
    info === undefined ? { client, user } : { client, user, info };
  const join = (c: ClientInfo) => ({ type: 'join' as const, channel: 'presence-r', client: c });
  const leave = (c: ClientInfo) => ({ type: 'leave' as const, channel: 'presence-r', client: c });

  it('lists users once, itself included, and tells users (not connections) coming and going', () => {
    const r = new Roster('me');
    r.start('presence-r');
    const ready = r.ready(
      'presence-r',
      [who('c1', 'alice', { n: 'A' }), who('c2', 'alice')],
      who('me', 'bob'),
    );
    assert.deepEqual(ready?.listing, {
      ids: ['alice', 'bob'],
      hash: { alice: { n: 'A' }, bob: null },
      count: 2,
    });
    assert.equal(r.membership(join(who('c3', 'alice')), 'presence-r'), null, "alice's third connection");
    assert.equal(r.membership(leave(who('c1', 'alice')), 'presence-r'), null);
    assert.equal(r.membership(leave(who('c2', 'alice')), 'presence-r'), null);
    assert.deepEqual(r.membership(leave(who('c3', 'alice')), 'presence-r'), {
      event: 'pusher_internal:member_removed',
      channel: 'presence-r',
      data: { user_id: 'alice' },
    });
    assert.deepEqual(r.membership(join(who('c4', 'carol', { n: 'C' })), 'presence-r'), {
      event: 'pusher_internal:member_added',
      channel: 'presence-r',
      data: { user_id: 'carol', user_info: { n: 'C' } },
    });
    assert.equal(r.membership(join(who('me', 'bob')), 'presence-r'), null, 'never about itself');
  });

  it('holds what arrives before the listing and tells only what the listing missed', () => {
    const r = new Roster('me');
    r.start('presence-r');
    assert.equal(r.membership(join(who('c1', 'alice')), 'presence-r'), null);
    assert.equal(r.membership(join(who('c9', 'dave')), 'presence-r'), null);
    const ready = r.ready('presence-r', [who('c1', 'alice')], who('me', 'bob'));
    assert.deepEqual(
      ready?.events.map((e) => [e.event, e.data.user_id]),
      [['pusher_internal:member_added', 'dave']],
    );
  });

  it('ignores channels it does not track', () => {
    const r = new Roster('me');
    assert.equal(r.membership(join(who('c1', 'alice')), 'presence-r'), null);
    assert.equal(r.ready('presence-r', [], who('me', 'bob')), null);
  });
});
