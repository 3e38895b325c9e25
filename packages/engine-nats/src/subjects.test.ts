import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeToken, encodeToken, Names } from './subjects.ts';

describe('subject tokens', () => {
  it('keeps plain characters and escapes the rest, byte by byte', () => {
    assert.equal(encodeToken('chat:room.1'), 'chat=3Aroom=2E1');
    assert.equal(encodeToken('a_b-C9'), 'a_b-C9');
    assert.equal(encodeToken('x=y'), 'x=3Dy');
    assert.equal(encodeToken('a b*>'), 'a=20b=2A=3E');
    assert.equal(encodeToken('é'), '=C3=A9');
    assert.equal(encodeToken(''), '=');
  });

  it('never yields a character a subject token or a KV key refuses', () => {
    for (const s of ['a.b', 'x>y', 'q*', 'tab\there', 'new\nline', '@#/,:=', '日本', 'a..b']) {
      assert.match(encodeToken(s), /^[A-Za-z0-9_=-]+$/);
    }
  });

  it('is injective: decoding gives the channel back', () => {
    const names = ['a.b', 'a=2Eb', 'a:b', '=', '', 'x=', 'ü.ö', 'room/1,2@x#y'];
    const tokens = names.map(encodeToken);
    assert.equal(new Set(tokens).size, names.length);
    for (const n of names) assert.equal(decodeToken(encodeToken(n)), n);
  });

  it('derives every name from the prefix', () => {
    const n = new Names('sb');
    assert.equal(n.stream, 'sb-history');
    assert.equal(n.historySubjects, 'sb.h.>');
    assert.equal(n.history('a.b'), 'sb.h.a=2Eb');
    assert.equal(n.live('a.b'), 'sb.c.a=2Eb');
    assert.equal(n.presenceKey('c:1', 'u.1'), 'c=3A1.u=2E1');
    assert.equal(n.presenceFilter('c:1'), 'c=3A1.>');
  });
});
