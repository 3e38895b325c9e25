// The tab-sharing relay in Node, against a real hub: several tab clients over in-process ports (delivering
// asynchronously and by structured clone, as BroadcastChannel does) share one upstream connection; a tab that
// joins late from an older position is caught up from history; a broken upstream connection and a relay handed
// over to a new one mid-stream lose and repeat nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import { Client, type Message, type SubscribedEvent } from '../../packages/client/src/index.ts';
import {
  holdForLife,
  type Port,
  type RelayMessage,
  type TabMessage,
} from '../../packages/client/src/share/messages.ts';
import { Relay } from '../../packages/client/src/share/relay.ts';
import { tabLinkConnector } from '../../packages/client/src/share/tab-link.ts';
import { type Front, startFront } from '../helpers/front.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

const FAST = { backoff: { minDelayMs: 10, maxDelayMs: 100 } };

/** A broadcast bus like BroadcastChannel: every tab hears every relay message; the relay hears every tab. */
function bus() {
  const tabs = new Set<(m: RelayMessage) => void>();
  let relay: ((m: TabMessage) => void) | undefined;
  const toTabs = (m: RelayMessage) =>
    setImmediate(() => {
      for (const t of tabs) t(structuredClone(m));
    });
  return {
    tabPort(): Port<RelayMessage, TabMessage> {
      return {
        post: (m) => setImmediate(() => relay?.(structuredClone(m))),
        listen: (h) => tabs.add(h),
        close() {},
      };
    },
    /** Starts a relay over this bus (replacing any before it) and tells the tabs, as a new leader does. */
    startRelay(url: string): { relay: Relay; upstream: Client } {
      const upstream = new Client(url, FAST);
      const r = new Relay(upstream, toTabs);
      relay = (m) => r.receive(m);
      toTabs({ t: 'leader', id: 'relay' });
      return { relay: r, upstream };
    },
  };
}

let tabCount = 0;

/** A tab's client. Like a page, it holds its life lock (Node has Web Locks too) so the relay can watch it. */
function tabClient(b: ReturnType<typeof bus>, name: string): Client {
  const id = `${name}-${++tabCount}`;
  return new Client('http://relay.invalid', {
    ...FAST,
    connector: tabLinkConnector(b.tabPort(), id, undefined, holdForLife(`switchboard:tab:${id}`)),
  });
}

function record(client: Client, channel: string, since?: { epoch: string; offset: number }) {
  const messages: Message<number>[] = [];
  const subscribed: SubscribedEvent[] = [];
  const sub = client.subscribe<number>(channel, since === undefined ? {} : { since });
  sub.on('message', (m) => messages.push(m));
  sub.on('subscribed', (e) => subscribed.push(e));
  return { sub, messages, subscribed, offsets: () => messages.map((m) => m.offset) };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('tab-sharing relay', () => {
  let hub: TestHub;
  let front: Front;
  const closers: (() => void)[] = [];
  before(async () => {
    hub = await startTestHub({ channel: { history: { size: 1_000 } } });
    front = await startFront(hub.port);
  });
  after(async () => {
    for (const c of closers) c();
    await front?.stop();
    await hub?.shutdown();
  });

  it('three tabs share one upstream connection and each gets every message once', async () => {
    const b = bus();
    const { relay, upstream } = b.startRelay(front.url);
    const tabs = ['t1', 't2', 't3'].map((n) => tabClient(b, n));
    closers.push(() => upstream.disconnect(), ...tabs.map((t) => () => t.disconnect()));
    const recs = tabs.map((t) => record(t, 'shared'));
    await until(
      () => recs.every((r) => r.sub.state === 'subscribed'),
      () => 'subscribed',
    );
    assert.equal(hub.node.connectionCount, 1);
    assert.equal(relay.tabCount, 3);
    for (let i = 1; i <= 10; i++) await hub.publish('shared', i);
    await until(
      () => recs.every((r) => r.messages.length === 10),
      () => recs.map((r) => r.messages.length).join(),
    );
    for (const r of recs) assert.deepEqual(r.offsets(), range(1, 10));
    for (const t of tabs) assert.equal(t.id, upstream.id, 'tabs report the shared connection');

    // A tab that joins later from an older position is caught up from history, then goes live.
    const late = tabClient(b, 't4');
    closers.push(() => late.disconnect());
    const lr = record(late, 'shared', { epoch: recs[0]!.messages[0]!.epoch, offset: 4 });
    await until(
      () => lr.subscribed.length === 1,
      () => 'late subscribed',
    );
    assert.equal(lr.subscribed[0]!.recovered, true);
    await hub.publish('shared', 11);
    await until(
      () => lr.messages.length === 7,
      () => JSON.stringify(lr.offsets()),
    );
    assert.deepEqual(lr.offsets(), range(5, 11));
    // A tab from another epoch hears it could not be recovered.
    const lost = record(late, 'shared-other', { epoch: 'gone', offset: 3 });
    await until(
      () => lost.subscribed.length === 1,
      () => 'lost subscribed',
    );
    assert.equal(lost.subscribed[0]!.recovered, false);
  });

  it('the upstream connection breaking mid-stream, then the relay being replaced, lose and repeat nothing', async () => {
    const base = hub.node.connectionCount;
    const b = bus();
    const first = b.startRelay(front.url);
    const tabs = ['a', 'b', 'c'].map((n) => tabClient(b, n));
    closers.push(...tabs.map((t) => () => t.disconnect()));
    const recs = tabs.map((t) => record(t, 'handover'));
    await until(
      () => recs.every((r) => r.sub.state === 'subscribed'),
      () => 'subscribed',
    );
    const total = 90;
    let second: ReturnType<typeof b.startRelay> | undefined;
    for (let i = 1; i <= total; i++) {
      await hub.publish('handover', i);
      if (i === 30) front.cut();
      if (i === 60) {
        // The leader dies: its connection goes, and a new relay takes over.
        first.relay.close();
        first.upstream.disconnect();
        second = b.startRelay(front.url);
      }
    }
    closers.push(() => second?.upstream.disconnect());
    await until(
      () => recs.every((r) => r.messages.length >= total),
      () => recs.map((r) => r.messages.length).join(),
      15_000,
    );
    for (const r of recs)
      assert.deepEqual(r.offsets(), range(1, total), 'every offset exactly once, in order');
    await until(
      () => hub.node.connectionCount === base + 1,
      () => `${hub.node.connectionCount - base} connections`,
    );
  });
});
