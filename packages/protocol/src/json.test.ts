import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonProblem } from './json.ts';

const nested = (levels: number, open = '[', close = ']') => open.repeat(levels) + close.repeat(levels);

describe('jsonProblem', () => {
  it('accepts nesting up to the limit and refuses deeper, counting arrays and objects alike', () => {
    assert.equal(jsonProblem(nested(64), 64), null);
    assert.match(jsonProblem(nested(65), 64) ?? '', /deeper than 64/);
    assert.match(
      jsonProblem(`${'{"a":'.repeat(40)}${'['.repeat(30)}1${']'.repeat(30)}${'}'.repeat(40)}`, 64) ?? '',
      /deeper/,
    );
    assert.match(jsonProblem(nested(5_000), 64) ?? '', /deeper/);
    // Siblings do not add up: depth is nesting, not count.
    assert.equal(jsonProblem(`[${Array.from({ length: 1000 }, () => '[[1]]').join(',')}]`, 3), null);
  });

  it('ignores brackets, digits and escaped quotes inside strings', () => {
    assert.equal(
      jsonProblem(JSON.stringify({ s: '[[[[[[1e400', t: 'a\\"[[[[', n: '99999999999999999999' }), 2),
      null,
    );
  });

  it('accepts numbers that come back as written', () => {
    for (const n of [
      '0',
      '-0',
      '1',
      '-1',
      '0.1',
      '1.5e300',
      '9007199254740991',
      '-9007199254740991',
      '9007199254740992',
      '1e21',
      '1E+2',
      '0.000001',
      '123456789012345',
      '2.5e-300',
      '0e10',
    ])
      assert.equal(jsonProblem(`{"n":${n}}`, 8), null, n);
  });

  it('refuses numbers out of range, underflowing to zero, or with digits a double drops', () => {
    for (const n of [
      '1e400',
      '-1e400',
      '1e-400',
      '9007199254740993',
      '12345678901234567891',
      '0.1000000000000000055511151231257827',
      '3.14159265358979323846',
    ])
      assert.match(jsonProblem(`[1,${n}]`, 8) ?? '', /send it as a string/, n);
  });

  it('leaves text that is not JSON to the parser', () => {
    for (const t of ['x', '', '{', '"unterminated', '-', '1-2']) assert.equal(jsonProblem(t, 8), null, t);
  });
});
