import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelUsers, matches, patternError } from './patterns.ts';

describe('channel patterns', () => {
  it('match exact names, and * as any run of characters', () => {
    const cases: [string, string, boolean][] = [
      ['chat:lobby', 'chat:lobby', true],
      ['chat:lobby', 'chat:lobby2', false],
      ['chat:*', 'chat:lobby', true],
      ['chat:*', 'chat:', true],
      ['chat:*', 'chatter', false],
      ['*', 'anything', true],
      ['room:*:public', 'room:7:public', true],
      ['room:*:public', 'room:7:private', false],
      ['a*b*c', 'abc', true],
      ['a*b*c', 'aXbYc', true],
      ['a*b*c', 'acb', false],
      ['ab*ba', 'aba', false],
    ];
    for (const [p, c, want] of cases) assert.equal(matches(p, c), want, `${p} ~ ${c}`);
  });

  it('refuses patterns with characters channels cannot have', () => {
    assert.equal(patternError('chat:*'), null);
    assert.notEqual(patternError(''), null);
    assert.notEqual(patternError('a b'), null);
    assert.notEqual(patternError('a\nb'), null);
  });

  it('read user channels after the last #', () => {
    assert.deepEqual(channelUsers('user#42'), ['42']);
    assert.deepEqual(channelUsers('dm:chat#42,43'), ['42', '43']);
    assert.deepEqual(channelUsers('a#b#7'), ['7']);
    assert.deepEqual(channelUsers('user#'), []);
    assert.equal(channelUsers('chat:lobby'), null);
  });
});
