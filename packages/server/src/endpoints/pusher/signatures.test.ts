// Pusher's signatures against the examples of Pusher's own documentation (literal fixtures), and what each check
// refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelAuthValid, requestProblem, userAuthValid } from './signatures.ts';

const APP = { id: '3', key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' };
const SOCKET = '1234.1234';

describe('channel authorizations', () => {
  it("accept Pusher's documented private-channel example, and nothing else", () => {
    const auth = '278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4';
    assert.equal(channelAuthValid(APP, SOCKET, 'private-foobar', auth), true);
    assert.equal(channelAuthValid(APP, '1234.1235', 'private-foobar', auth), false, 'another socket');
    assert.equal(channelAuthValid(APP, SOCKET, 'private-foobaz', auth), false, 'another channel');
    assert.equal(
      channelAuthValid({ ...APP, key: 'other' }, SOCKET, 'private-foobar', auth),
      false,
      'another key',
    );
    assert.equal(
      channelAuthValid({ ...APP, secret: 'x' }, SOCKET, 'private-foobar', auth),
      false,
      'another secret',
    );
    assert.equal(channelAuthValid(APP, SOCKET, 'private-foobar', undefined), false);
    assert.equal(channelAuthValid(APP, SOCKET, 'private-foobar', `${auth}0`), false);
  });

  it('sign channel_data on presence channels', () => {
    const data = '{"user_id":"10","user_info":{"name":"Mr. Channels"}}';
    const auth = '278d425bdf160c739803:4c6d8fc42a207ba96a0779844171b0bb819d96ffceef9609f5cce596ab17a800';
    assert.equal(channelAuthValid(APP, SOCKET, 'presence-foobar', auth, data), true);
    assert.equal(channelAuthValid(APP, SOCKET, 'presence-foobar', auth, data.replace('10', '11')), false);
    assert.equal(channelAuthValid(APP, SOCKET, 'presence-foobar', auth), false, 'without the channel_data');
  });
});

describe('user authentication (pusher:signin)', () => {
  it('signs socket_id::user::user_data', () => {
    const data = '{"id":"10","name":"Mr. Channels"}';
    const auth = '278d425bdf160c739803:8fd3662e72def9f6b5a6861e46f93506d8cc3916b19e84216feddd0aa1d15907';
    assert.equal(userAuthValid(APP, SOCKET, auth, data), true);
    assert.equal(userAuthValid(APP, SOCKET, auth, data.replace('"10"', '"11"')), false);
  });
});

describe('REST request signatures', () => {
  // Pusher's documented example: POST /apps/3/events at auth_timestamp 1353088179.
  const body = Buffer.from('{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}');
  const query = (over: Record<string, string> = {}) =>
    new URLSearchParams({
      auth_key: APP.key,
      auth_timestamp: '1353088179',
      auth_version: '1.0',
      body_md5: 'ec365a775a4cd0599faeb73354201b6f',
      auth_signature: 'da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c',
      ...over,
    });
  const at = 1353088179_000;

  it("accept Pusher's documented example", () => {
    assert.equal(requestProblem(APP, 'POST', '/apps/3/events', query(), body, at), null);
  });

  it('refuse any part changed, a stale timestamp, and a repeated parameter', () => {
    assert.equal(requestProblem(APP, 'POST', '/apps/3/events', query(), Buffer.from('{}'), at), 'body_md5');
    assert.equal(requestProblem(APP, 'GET', '/apps/3/events', query(), body, at), 'auth_signature');
    assert.equal(requestProblem(APP, 'POST', '/apps/4/events', query(), body, at), 'auth_signature');
    assert.equal(
      requestProblem(APP, 'POST', '/apps/3/events', query({ auth_key: 'x' }), body, at),
      'auth_key',
    );
    assert.equal(
      requestProblem(APP, 'POST', '/apps/3/events', query(), body, at + 601_000),
      'auth_timestamp',
    );
    assert.equal(requestProblem(APP, 'POST', '/apps/3/events', query(), body, at + 599_000), null);
    const extra = query();
    extra.append('info', 'x');
    assert.equal(requestProblem(APP, 'POST', '/apps/3/events', extra, body, at), 'auth_signature');
    const repeated = query();
    repeated.append('auth_key', APP.key);
    assert.equal(
      requestProblem(APP, 'POST', '/apps/3/events', repeated, body, at),
      'a parameter is repeated',
    );
  });
});
