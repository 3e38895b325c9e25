// The client SDK and wire version 2 (docs/protocol.md, "Wire version 2: compact message frames"): it asks for the
// compact frames on both transports and reads them, and it still works, with the same positions and resume
// cursors, against a hub that answers version 1 (`server.compactFrames: false`, which is how a hub that predates
// version 2 answers: it ignores `wire=2`). Each run checks which version the hub's session actually spoke.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import { Client, type Message, type SubscribedEvent } from '../../packages/client/src/index.ts';
import { type Front, startFront } from '../helpers/front.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

const FAST = { backoff: { minDelayMs: 20, maxDelayMs: 200 } } as const;

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function record<T>(sub: { on: (e: any, l: (v: any) => void) => () => void }) {
  const messages: Message<T>[] = [];
  const subscribed: SubscribedEvent[] = [];
  sub.on('message', (m: Message<T>) => messages.push(m));
  sub.on('subscribed', (s: SubscribedEvent) => subscribed.push(s));
  return { messages, subscribed };
}

for (const compactFrames of [true, false]) {
  for (const kind of ['websocket', 'sse'] as const) {
    describe(`client over ${kind}, hub compactFrames: ${compactFrames}`, () => {
      let hub: TestHub;
      let front: Front;
      const clients: Client[] = [];
      before(async () => {
        hub = await startTestHub({
          server: { compactFrames },
          channel: { clientPublish: true },
        });
        front = await startFront(hub.port);
      });
      after(async () => {
        for (const c of clients) c.disconnect();
        await front?.stop();
        await hub?.shutdown();
      });

      /** Whether every live session of the hub speaks wire version 2. */
      const sessionsCompact = (): boolean[] => [...hub.node.sessions()].map((s) => s.compact);

      it('speaks the version the hub offers; positions, data and info are the same as with version 1', async () => {
        const client = new Client(hub.url, { transport: kind, ...FAST });
        clients.push(client);
        const sub = client.subscribe<{ n: number }>(`plain-${kind}`);
        const rec = record<{ n: number }>(sub);
        await until(
          () => sub.state === 'subscribed',
          () => sub.state,
        );
        assert.deepEqual(sessionsCompact(), [compactFrames]);
        const first = await hub.publish(`plain-${kind}`, { n: 1 });
        await hub.publish(`plain-${kind}`, { n: 2 });
        // A client publication carries `info`: a full frame even in version 2.
        const own = await client.publish(`plain-${kind}`, { n: 3 });
        await hub.publish(`plain-${kind}`, { n: 4 });
        await until(
          () => rec.messages.length === 4,
          () => `${rec.messages.length} messages`,
        );
        assert.deepEqual(
          rec.messages.map((m) => [m.epoch, m.offset, m.data.n]),
          [1, 2, 3, 4].map((n) => [first.epoch, first.offset + n - 1, n]),
        );
        assert.equal(own.offset, first.offset + 2);
        assert.equal(rec.messages[2]!.info?.client, client.id);
        assert.equal(rec.messages[3]!.info, undefined);
        client.disconnect();
      });

      it('resumes with nothing lost or repeated when connections break mid-stream', async () => {
        const channel = `cut-${kind}`;
        const client = new Client(front.url, { transport: kind, ...FAST });
        clients.push(client);
        const sub = client.subscribe<number>(channel);
        const rec = record<number>(sub);
        await until(
          () => sub.state === 'subscribed',
          () => sub.state,
        );
        const total = 40;
        let cut = 0;
        for (let i = 1; i <= total; i++) {
          await hub.publish(channel, i);
          if (i % 10 === 0 && i < total) {
            await until(
              () => rec.subscribed.length === cut + 1,
              () => `${rec.subscribed.length} subscribed events before cut ${cut + 1}`,
              15_000,
            );
            assert.deepEqual(sessionsCompact(), [compactFrames]);
            front.cut();
            cut++;
          }
        }
        await until(
          () => rec.messages.length >= total && rec.subscribed.length === cut + 1,
          () => `${rec.messages.length} of ${total} messages, ${rec.subscribed.length} subscribed events`,
          15_000,
        );
        assert.deepEqual(
          rec.messages.map((m) => m.offset),
          range(1, total),
        );
        assert.deepEqual(
          rec.messages.map((m) => m.data),
          range(1, total),
        );
        for (const s of rec.subscribed.slice(1)) assert.equal(s.recovered, true);
        client.disconnect();
      });

      it('follows several channels on one connection, each with its own positions', async () => {
        const client = new Client(hub.url, { transport: kind, ...FAST });
        clients.push(client);
        const a = client.subscribe<number>(`multi-a-${kind}`);
        const b = client.subscribe<number>(`multi-b-${kind}`);
        const ra = record<number>(a);
        const rb = record<number>(b);
        await until(
          () => a.state === 'subscribed' && b.state === 'subscribed' && sessionsCompact().length === 1,
          () => `${a.state} ${b.state}`,
        );
        // Channel a runs ahead of b, so positions inferred for one channel would be wrong for the other.
        for (let i = 1; i <= 3; i++) await hub.publish(`multi-a-${kind}`, i);
        for (let i = 1; i <= 4; i++) {
          await hub.publish(`multi-b-${kind}`, 10 + i);
          await hub.publish(`multi-a-${kind}`, 3 + i);
        }
        await until(
          () => ra.messages.length === 7 && rb.messages.length === 4,
          () => `${ra.messages.length} and ${rb.messages.length} messages`,
        );
        assert.deepEqual(
          ra.messages.map((m) => [m.offset, m.data]),
          range(1, 7).map((n) => [n, n]),
        );
        assert.deepEqual(
          rb.messages.map((m) => [m.offset, m.data]),
          range(1, 4).map((n) => [n, 10 + n]),
        );
        assert.deepEqual(sessionsCompact(), [compactFrames]);
        client.disconnect();
      });
    });
  }
}
