import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contains, KEY_OFFSET, KEY_SEQ, KEY_T, readNumberField } from './scan.ts';

const frame = Buffer.from(
  '{"type":"message","channel":"bench","epoch":"abc123","offset":7,"data":{"t":1763940000123.456,"s":42,"p":"xx"}}',
);

test('reads the hub offset, the send time and the payload counter', () => {
  assert.equal(readNumberField(frame, 0, frame.length, KEY_OFFSET), 7);
  assert.equal(readNumberField(frame, 0, frame.length, KEY_SEQ), 42);
  const t = readNumberField(frame, 0, frame.length, KEY_T);
  assert.ok(Math.abs(t - 1763940000123.456) < 1e-3, String(t));
});

test('"type" is not mistaken for "t", and absent keys read NaN', () => {
  const sub = Buffer.from('{"type":"subscribed","id":1,"channel":"bench","epoch":"e","offset":0}');
  assert.ok(Number.isNaN(readNumberField(sub, 0, sub.length, KEY_T)));
  assert.equal(readNumberField(sub, 0, sub.length, KEY_OFFSET), 0);
});

test('the search stops at end: a key in the next frame is not read', () => {
  const two = Buffer.from('{"a":1}{"t":5}');
  assert.ok(Number.isNaN(readNumberField(two, 0, 7, KEY_T)));
  assert.equal(readNumberField(two, 7, two.length, KEY_T), 5);
  assert.equal(contains(two, 0, 7, KEY_T), false);
  assert.equal(contains(two, 0, two.length, KEY_T), true);
});

test('negative numbers and a key with no number', () => {
  const b = Buffer.from('{"t":-12.5,"s":"x"}');
  assert.equal(readNumberField(b, 0, b.length, KEY_T), -12.5);
  assert.ok(Number.isNaN(readNumberField(b, 0, b.length, KEY_SEQ)));
});
