import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgsError, parseCommon } from './args.ts';
import { DEFAULT_SCENARIOS, FULL, QUICK } from './profile.ts';

test('defaults: every scenario, both transports, the full profile', () => {
  const { common } = parseCommon([]);
  assert.deepEqual(common.scenarios, [...DEFAULT_SCENARIOS]);
  assert.deepEqual(common.transports, ['ws', 'sse']);
  assert.equal(common.profile.stepMs, FULL.stepMs);
  assert.equal(common.dialect, 'switchboard');
});

test('--quick, one transport, a scenario list, a size and a bound', () => {
  const { common } = parseCommon([
    '--quick',
    '--transport',
    'sse',
    '--scenario',
    'fanout,idle',
    '--subscribers',
    '500',
    '--p99',
    '100',
    '--target',
    'http://127.0.0.1:9000',
  ]);
  assert.equal(common.quick, true);
  assert.equal(common.profile.rampStart, QUICK.rampStart);
  assert.equal(common.profile.p99BoundMs, 100);
  assert.deepEqual(common.transports, ['sse']);
  assert.deepEqual(common.scenarios, ['fanout', 'idle']);
  assert.equal(common.subscribers, 500);
  assert.equal(common.target?.port, '9000');
});

test('bad values are refused with ArgsError', () => {
  assert.throws(() => parseCommon(['--transport', 'udp']), ArgsError);
  assert.throws(() => parseCommon(['--scenario', 'nope']), ArgsError);
  assert.throws(() => parseCommon(['--subscribers', '0']), ArgsError);
  assert.throws(() => parseCommon(['--no-such-option']), ArgsError);
  assert.throws(() => parseCommon(['--dialect', 'mqtt']), ArgsError);
  assert.throws(() => parseCommon(['--target', 'not a url']), ArgsError);
});

test('--fanout-sizes picks the fan-out sizes; a bad one is refused', () => {
  assert.deepEqual(parseCommon(['--fanout-sizes', '1000, 10000']).common.profile.fanoutSizes, [1000, 10000]);
  assert.deepEqual(FULL.fanoutSizes, [1_000, 10_000, 20_000], 'the shared default is left alone');
  assert.throws(() => parseCommon(['--fanout-sizes', '1000,x']), /--fanout-sizes must be a positive integer/);
});
