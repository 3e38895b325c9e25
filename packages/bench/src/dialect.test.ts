import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BENCH_PUSHER_APP, DIALECTS, dialectFor } from './dialect.ts';

describe('the pusher dialect', () => {
  const d = DIALECTS.pusher;
  it("subscribes as pusher-js does, and reads the hub's answers", () => {
    assert.equal(d.wsPath('c'), `/app/${BENCH_PUSHER_APP.key}?protocol=7&client=bench&version=1`);
    assert.deepEqual(
      d.wsOpen('c').map((t) => JSON.parse(t)),
      [{ event: 'pusher:subscribe', data: { channel: 'c' } }],
    );
    assert.equal(d.control('{"event":"pusher:connection_established","data":"{}"}', 'c'), null);
    assert.equal(
      d.control('{"event":"pusher_internal:subscription_succeeded","channel":"c","data":"{}"}', 'c'),
      'subscribed',
    );
    assert.deepEqual(d.control('{"event":"pusher:ping","data":{}}', 'c'), [
      '{"event":"pusher:pong","data":{}}',
    ]);
  });
  it('publishes a Pusher envelope whose data keeps the payload an object', () => {
    const r = d.publish('c', '{"t":1,"s":2}');
    assert.deepEqual(JSON.parse(r.body), { channel: 'c', data: { event: 'bench', data: { t: 1, s: 2 } } });
  });
});

describe('the switchboard dialect', () => {
  it("asks for wire version 2 (the SDK's) by default, and version 1 when told", () => {
    assert.equal(DIALECTS.switchboard.wsPath('c'), '/ws?wire=2');
    assert.equal(DIALECTS.switchboard.ssePath('a b'), '/sse?channel=a%20b&wire=2');
    assert.equal(dialectFor('switchboard'), DIALECTS.switchboard);
    const v1 = dialectFor('switchboard', 1);
    assert.equal(v1.wsPath('c'), '/ws');
    assert.equal(v1.ssePath('a b'), '/sse?channel=a%20b');
    assert.equal(v1.control('{"type":"subscribed","id":1,"channel":"c"}', 'c'), 'subscribed');
    // Other dialects have no wire versions.
    assert.equal(dialectFor('nchan', 1), DIALECTS.nchan);
  });
});
