import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientCommand, ErrorCode, Position } from '@switchboard/protocol';
import { Subscribes } from './subscribes.ts';
import type { SubscriptionControl } from './subscription.ts';
import type { Transport } from './transport/types.ts';

function transport(): Transport & { sent: ClientCommand[] } {
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

function control(position?: Position): SubscriptionControl & { refusals: string[] } {
  const refusals: string[] = [];
  return {
    refusals,
    resumePosition: () => position,
    frame() {},
    connectionLost() {},
    refused: (code: ErrorCode, message: string) => refusals.push(`${code}: ${message}`),
  };
}

const error = (id: string) => ({ type: 'error' as const, id, code: 'forbidden' as const, message: 'no' });

describe('Subscribes', () => {
  it('sends subscribe with an id of its own and the position to resume after', () => {
    const s = new Subscribes();
    const t = transport();
    s.send(t, 'a', control(), () => true);
    s.send(t, 'b', control({ epoch: 'e', offset: 4 }), () => true);
    assert.deepEqual(t.sent, [
      { type: 'subscribe', id: 's1', channel: 'a' },
      { type: 'subscribe', id: 's2', channel: 'b', since: { epoch: 'e', offset: 4 } },
    ]);
  });

  it("tells an error answering a channel's latest subscribe from a stale one and from no subscribe", () => {
    const s = new Subscribes();
    const t = transport();
    s.send(t, 'a', control(), () => true); // s1
    s.forget('a'); // unsubscribe()
    s.send(t, 'a', control(), () => true); // s2
    assert.deepEqual(s.refused(error('s1')), { channel: 'a', latest: false });
    assert.deepEqual(s.refused(error('s2')), { channel: 'a', latest: true });
    assert.equal(s.refused(error('s2')), undefined, 'answered once');
    assert.equal(s.refused(error('p7')), undefined);
    s.send(t, 'b', control(), () => true); // s3
    s.subscribed({ type: 'subscribed', id: 's3', channel: 'b', epoch: 'e', offset: 0, recoverable: true });
    assert.equal(s.refused(error('s3')), undefined);
  });

  it('sends a token from its callback unless the connection changed meanwhile; a failing callback refuses', async () => {
    const s = new Subscribes();
    const t = transport();
    s.setToken('a', async () => 'tok');
    s.send(t, 'a', control(), () => true);
    let live = true;
    s.setToken('b', async () => 'late');
    s.send(t, 'b', control(), () => live);
    live = false;
    const c = control();
    s.setToken('c', async () => {
      throw new Error('nope');
    });
    s.send(t, 'c', c, () => true);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(t.sent, [{ type: 'subscribe', id: 's1', channel: 'a', token: 'tok' }]);
    assert.deepEqual(c.refusals, ['unauthorized: the subscription token callback failed: Error: nope']);
  });
});
