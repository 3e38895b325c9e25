import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topLevelField } from './conflate-key.ts';

describe('topLevelField', () => {
  it('finds a top-level field and returns its JSON text', () => {
    assert.equal(topLevelField('{"symbol":"AAPL","price":1.5}', 'symbol'), '"AAPL"');
    assert.equal(topLevelField('{"symbol":"AAPL","price":1.5}', 'price'), '1.5');
    assert.equal(topLevelField('{"a":{"b":1},"k":[1,{"x":"]"}],"id":7}', 'k'), '[1,{"x":"]"}]');
    assert.equal(topLevelField('{"a":{"b":1},"k":[1,{"x":"]"}],"id":7}', 'id'), '7');
    assert.equal(topLevelField('{"a":true,"b":null}', 'b'), 'null');
    assert.equal(topLevelField(' { "s" : "x\\"y" , "t" : 2 } ', 's'), '"x\\"y"');
    assert.equal(topLevelField(' { "s" : "x\\"y" , "t" : 2 } ', 't'), '2');
  });

  it('ignores the same name nested deeper or inside strings', () => {
    assert.equal(topLevelField('{"inner":{"symbol":"X"},"other":"\\"symbol\\":1"}', 'symbol'), undefined);
    assert.equal(topLevelField('{"inner":{"symbol":"X"},"symbol":"Y"}', 'symbol'), '"Y"');
  });

  it('compares escaped keys decoded, and the last duplicate wins like JSON.parse', () => {
    assert.equal(topLevelField('{"sym\\u0062ol":"A"}', 'symbol'), '"A"');
    assert.equal(topLevelField('{"k":1,"k":2}', 'k'), '2');
  });

  it('gives undefined for non-objects, empty objects and malformed text', () => {
    for (const text of [
      '"symbol"',
      '[{"symbol":1}]',
      '{"b\\x":1,"symbol":2}',
      '42',
      'null',
      '{}',
      '{"symbol"',
      '{"symbol":',
      '{"a":"x}',
    ])
      assert.equal(topLevelField(text, 'symbol'), undefined, text);
  });
});
