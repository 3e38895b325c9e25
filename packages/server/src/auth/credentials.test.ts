import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { cookieValue, sseCredential } from './credentials.ts';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const url = (q = '') => new URL(`http://hub.invalid/sse?channel=a${q}`);

describe('SSE credentials', () => {
  it('reads a bearer token first, then a ticket, then the cookie', () => {
    assert.deepEqual(sseCredential(req({ authorization: 'Bearer abc' }), url('&ticket=t'), 'c'), {
      kind: 'bearer',
      token: 'abc',
    });
    assert.deepEqual(sseCredential(req({ cookie: 'c=tok' }), url('&ticket=t'), 'c'), {
      kind: 'ticket',
      ticket: 't',
    });
    assert.deepEqual(sseCredential(req({ cookie: 'x=1; c=tok' }), url(), 'c'), {
      kind: 'cookie',
      token: 'tok',
    });
    assert.deepEqual(sseCredential(req({}), url(), 'c'), { kind: 'none' });
  });

  it('ignores other Authorization schemes, and keeps a malformed bearer as a bad one', () => {
    assert.deepEqual(sseCredential(req({ authorization: 'Basic dXNlcjpwYXNz' }), url(), 'c'), {
      kind: 'none',
    });
    assert.deepEqual(sseCredential(req({ authorization: 'Bearer' }), url(), 'c'), {
      kind: 'bearer',
      token: '',
    });
    assert.deepEqual(sseCredential(req({ authorization: 'Bearer a b' }), url(), 'c'), {
      kind: 'bearer',
      token: '',
    });
  });

  it('refuses a token in the URL', () => {
    assert.equal(sseCredential(req({}), url('&token=x'), 'c').kind, 'refused');
    assert.equal(sseCredential(req({}), url('&access_token=x'), 'c').kind, 'refused');
  });

  it('finds one cookie by exact name', () => {
    assert.equal(cookieValue('a=1; switchboard_token=xyz; b=2', 'switchboard_token'), 'xyz');
    assert.equal(cookieValue('my_switchboard_token=xyz', 'switchboard_token'), undefined);
    assert.equal(cookieValue(undefined, 'a'), undefined);
  });
});
