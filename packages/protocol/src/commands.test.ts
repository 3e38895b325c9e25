import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TOKEN_LENGTH, parseCommand, validateCommand } from './commands.ts';

const limits = { maxChannelLength: 20, maxHistoryLimit: 100, maxJsonDepth: 8 };

describe('command parser', () => {
  it('parses auth and a subscription token, refusing empty or oversize tokens', () => {
    assert.deepEqual(parseCommand('{"type":"auth","id":1,"token":"a.b.c"}', limits), {
      ok: true,
      command: { type: 'auth', token: 'a.b.c', id: 1 },
    });
    assert.deepEqual(parseCommand('{"type":"subscribe","channel":"a","token":"t"}', limits), {
      ok: true,
      command: { type: 'subscribe', channel: 'a', token: 't' },
    });
    for (const bad of ['{"type":"auth"}', '{"type":"auth","token":""}', '{"type":"auth","token":7}']) {
      const r = parseCommand(bad, limits);
      assert.equal(r.ok ? 'ok' : r.error.code, 'bad_request', bad);
    }
    const long = JSON.stringify({ type: 'auth', token: 'x'.repeat(MAX_TOKEN_LENGTH + 1) });
    assert.equal(parseCommand(long, limits).ok, false);
    const sub = parseCommand('{"type":"subscribe","channel":"a","token":""}', limits);
    assert.equal(sub.ok ? 'ok' : sub.error.code, 'bad_request');
  });

  it('parses each command', () => {
    assert.deepEqual(parseCommand('{"type":"ping"}', limits), { ok: true, command: { type: 'ping' } });
    assert.deepEqual(
      parseCommand('{"type":"subscribe","id":1,"channel":"a","since":{"epoch":"e1","offset":3}}', limits),
      {
        ok: true,
        command: { type: 'subscribe', channel: 'a', since: { epoch: 'e1', offset: 3 }, id: 1 },
      },
    );
    assert.deepEqual(parseCommand('{"type":"subscribe","channel":"a","since":null}', limits), {
      ok: true,
      command: { type: 'subscribe', channel: 'a' },
    });
    assert.deepEqual(
      parseCommand('{"type":"publish","id":"x","channel":"a","data":null,"idempotencyKey":"k"}', limits),
      {
        ok: true,
        command: { type: 'publish', channel: 'a', data: null, idempotencyKey: 'k', id: 'x' },
      },
    );
    assert.deepEqual(parseCommand('{"type":"history","channel":"a","limit":5000}', limits), {
      ok: true,
      command: { type: 'history', channel: 'a', limit: 100 },
    });
    assert.deepEqual(parseCommand('{"type":"presence","channel":"a"}', limits), {
      ok: true,
      command: { type: 'presence', channel: 'a' },
    });
    assert.deepEqual(parseCommand('{"type":"unsubscribe","channel":"a"}', limits), {
      ok: true,
      command: { type: 'unsubscribe', channel: 'a' },
    });
  });

  it('subscribe takes an optional rate (deliveries per second)', () => {
    assert.deepEqual(parseCommand('{"type":"subscribe","id":1,"channel":"q:a","rate":10}', limits), {
      ok: true,
      command: { type: 'subscribe', channel: 'q:a', rate: 10, id: 1 },
    });
    assert.deepEqual(
      parseCommand('{"type":"subscribe","channel":"q:a","rate":1,"since":{"epoch":"e1","offset":3}}', limits),
      {
        ok: true,
        command: { type: 'subscribe', channel: 'q:a', since: { epoch: 'e1', offset: 3 }, rate: 1 },
      },
    );
  });

  it('codes every malformed command, echoing the id when it is readable', () => {
    const cases: Array<[string, string, unknown]> = [
      ['nope', 'invalid_json', undefined],
      ['null', 'bad_request', undefined],
      ['"str"', 'bad_request', undefined],
      ['{"type":1}', 'bad_request', undefined],
      ['{"type":"x","id":{"a":1}}', 'bad_request', undefined],
      ['{"type":"x","id":1.5}', 'bad_request', undefined],
      ['{"type":"x","id":7}', 'unknown_command', 7],
      ['{"type":"__proto__","id":7}', 'unknown_command', 7],
      ['{"type":"subscribe","id":2,"channel":""}', 'invalid_channel', 2],
      ['{"type":"subscribe","id":2,"channel":"a b"}', 'invalid_channel', 2],
      ['{"type":"subscribe","id":2,"channel":"aaaaaaaaaaaaaaaaaaaaa"}', 'invalid_channel', 2],
      ['{"type":"subscribe","id":2,"channel":"a","since":{"epoch":"e","offset":"1"}}', 'bad_position', 2],
      ['{"type":"subscribe","id":2,"channel":"a","since":{"epoch":"e-1","offset":1}}', 'bad_position', 2],
      ['{"type":"subscribe","id":2,"channel":"a","rate":0}', 'bad_request', 2],
      ['{"type":"subscribe","id":2,"channel":"a","rate":2.5}', 'bad_request', 2],
      ['{"type":"subscribe","id":2,"channel":"a","rate":"10"}', 'bad_request', 2],
      ['{"type":"subscribe","id":2,"channel":"a","rate":10001}', 'bad_request', 2],
      ['{"type":"history","id":2,"channel":"a","limit":-1}', 'bad_request', 2],
      ['{"type":"publish","id":2,"channel":"a"}', 'bad_request', 2],
      ['{"type":"publish","id":2,"channel":"a","data":1,"idempotencyKey":5}', 'bad_request', 2],
    ];
    for (const [text, code, id] of cases) {
      const r = parseCommand(text, limits);
      assert.equal(r.ok, false, text);
      if (!r.ok) {
        assert.equal(r.error.code, code, text);
        assert.equal(r.error.id, id, text);
      }
    }
  });

  it('validates a value already parsed from JSON exactly as it parses the text', () => {
    const texts = [
      '{"type":"publish","id":"p1","channel":"a","data":{"x":[1,2]},"idempotencyKey":"k"}',
      '{"type":"history","channel":"a","since":{"epoch":"e1","offset":3},"limit":500}',
      '{"type":"auth","token":"a.b.c"}',
      '{"type":"ping"}',
      'null',
      '[1]',
      '{"type":"x","id":7}',
      '{"type":"subscribe","id":2,"channel":"a b"}',
      '{"type":"publish","id":2,"channel":"a"}',
    ];
    for (const text of texts)
      assert.deepEqual(validateCommand(JSON.parse(text), limits), parseCommand(text, limits), text);
    assert.deepEqual(validateCommand({ type: 'history', channel: 'a', limit: 500 }, limits), {
      ok: true,
      command: { type: 'history', channel: 'a', limit: 100 },
    });
  });
});
