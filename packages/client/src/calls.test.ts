import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientCommand } from '@switchboard/protocol';
import { Calls } from './calls.ts';
import type { Transport } from './transport/types.ts';

/** A transport that only records what it is given (Calls never reads anything else from it). */
function recorder(): Transport & { sent: ClientCommand[] } {
  const sent: ClientCommand[] = [];
  return {
    kind: 'websocket',
    fixedChannels: false,
    seesHeartbeats: true,
    sent,
    send: (c) => sent.push(c),
    close() {},
  };
}

describe('Calls', () => {
  it('matches replies by id, and rejects an error frame with its code', async () => {
    const calls = new Calls(10);
    const t = recorder();
    const a = calls.call({ type: 'ping' }, 1_000, t);
    const b = calls.call({ type: 'presence', channel: 'x' }, 1_000, t);
    const [ca, cb] = t.sent;
    assert.ok(calls.settle({ type: 'error', id: cb!.id!, code: 'forbidden', message: 'no', channel: 'x' }));
    assert.ok(calls.settle({ type: 'pong', id: ca!.id! }));
    assert.equal(calls.settle({ type: 'pong', id: 999 }), false, 'an unknown id settles nothing');
    assert.deepEqual(await a, { type: 'pong', id: ca!.id });
    await assert.rejects(b, { code: 'forbidden', channel: 'x' });
    assert.equal(calls.size, 0);
  });

  it('holds calls made while disconnected and sends them on flush', async () => {
    const calls = new Calls(10);
    const held = calls.call({ type: 'ping' }, 1_000, undefined);
    const t = recorder();
    calls.flush(t);
    calls.flush(t);
    assert.equal(t.sent.length, 1, 'sent once');
    calls.failAll('done');
    await assert.rejects(held, { code: 'closed' });
  });

  it('is bounded, times out, and fails only the calls of a closed WebSocket', async () => {
    const calls = new Calls(2);
    const dead = recorder();
    const onDead = calls.call({ type: 'ping' }, 1_000, dead);
    const waiting = calls.call({ type: 'ping' }, 30, undefined);
    await assert.rejects(calls.call({ type: 'ping' }, 1_000, undefined), { code: 'too_many_requests' });
    calls.failSentOn(dead);
    await assert.rejects(onDead, { code: 'closed' });
    await assert.rejects(waiting, { code: 'timeout' });
    assert.equal(calls.size, 0);
  });
});
