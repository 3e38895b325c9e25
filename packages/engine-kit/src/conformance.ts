import assert from 'node:assert/strict';
import { randomFillSync, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ClientInfo } from '@switchboard/protocol';
import { base64Of, binaryData, isBinaryData } from './payload.ts';
import type { BrokerHandler, Engine, HistoryPolicy, Publication, PublishOptions, Resync } from './types.ts';

/**
 * How the suite gets engines: `createNodes(n)` returns n engines over ONE backend (n nodes of one hub);
 * `cleanup` tears everything down. Each test uses channels of its own, so one backend serves the whole suite.
 */
export interface EngineHarness {
  createNodes(n: number): Promise<Engine[]>;
  cleanup(): Promise<void>;
  /**
   * Appends a publication to `channel` exactly as `publish` does (next position, history), but its live delivery
   * never reaches the nodes: what a lost pub/sub message or a broken subscriber connection does. Each engine
   * makes that happen its own way, with its real backend (see the engines' tests).
   */
  publishUnseen(channel: string, data: string, options: PublishOptions): Promise<Publication>;
}

/** What a node's broker handed it, in order. */
export class Recorder implements BrokerHandler {
  readonly publications: Publication[] = [];
  readonly joins: Array<[string, ClientInfo]> = [];
  readonly leaves: Array<[string, ClientInfo]> = [];
  readonly resyncs: Array<[string, Resync]> = [];
  onPublication(p: Publication): void {
    this.publications.push(p);
  }
  onResync(channel: string, resync: Resync): void {
    this.resyncs.push([channel, resync]);
  }
  onJoin(channel: string, client: ClientInfo): void {
    this.joins.push([channel, client]);
  }
  onLeave(channel: string, client: ClientInfo): void {
    this.leaves.push([channel, client]);
  }
  on(channel: string): Publication[] {
    return this.publications.filter((p) => p.channel === channel);
  }
}

const HISTORY: HistoryPolicy = { size: 100, ttlMs: 60_000, metaTtlMs: 3_600_000 };
const opts = (history: Partial<HistoryPolicy> = {}, extra: Partial<PublishOptions> = {}): PublishOptions => ({
  history: { ...HISTORY, ...history },
  ...extra,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `check` holds: cross-node delivery may be asynchronous in networked engines. */
async function eventually(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * The engine conformance suite: every guarantee the `Broker`, `HistoryStore`, `PresenceStore` and
 * `OccupancyStore` doc comments make, checked against real instances. Every engine (memory, Redis, NATS) runs exactly this.
 *
 * Gap filling belongs to the engine, not the hub: the suite checks that each node's handler gets every
 * publication of a channel exactly once and in offset order even when live delivery loses some
 * (`publishUnseen`), reorders them (concurrent publishers on every node), or cannot be made whole from history
 * (`onResync` with `recovered: false`, then delivery goes on).
 */
export function engineConformance(name: string, harness: EngineHarness): void {
  describe(`engine conformance: ${name}`, () => {
    let a: Engine;
    let b: Engine;
    const ra = new Recorder();
    const rb = new Recorder();
    const ch = (label: string) => `conf:${label}:${randomUUID().slice(0, 8)}`;

    before(async () => {
      [a, b] = (await harness.createNodes(2)) as [Engine, Engine];
      await a.broker.start(ra);
      await b.broker.start(rb);
    });
    after(async () => {
      await a.close();
      await b.close();
      await harness.cleanup();
    });

    it('is ready once started', () => {
      assert.equal(a.ready(), true);
      assert.equal(typeof a.name, 'string');
    });

    it('gives a new channel a stable epoch at offset 0', async () => {
      const c = ch('top');
      const t1 = await a.history.top(c);
      const t2 = await b.history.top(c);
      assert.equal(t1.offset, 0);
      assert.match(t1.epoch, /^[A-Za-z0-9]{1,32}$/);
      assert.deepEqual(t2, t1);
    });

    it('assigns offsets one by one, never twice, under concurrent publishes from every node', async () => {
      const c = ch('concurrent');
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).broker.publish(c, JSON.stringify(i), opts())),
      );
      const offsets = results.map((r) => r.publication.offset).sort((x, y) => x - y);
      assert.deepEqual(
        offsets,
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      assert.equal(new Set(results.map((r) => r.publication.epoch)).size, 1);
      const top = await a.history.top(c);
      assert.equal(top.offset, 200);
      assert.equal(top.epoch, results[0]!.publication.epoch);
    });

    it('keeps the epoch while history is intact and carries data and info unchanged', async () => {
      const c = ch('epoch');
      const first = await a.broker.publish(c, '{"x":1}', opts());
      const info = { client: 'c1', user: 'u1' };
      const second = await b.broker.publish(c, '"two"', opts({}, { info }));
      assert.equal(second.publication.epoch, first.publication.epoch);
      assert.equal(second.publication.offset, first.publication.offset + 1);
      const { publications } = await a.history.read(c, {});
      assert.deepEqual(
        publications.map((p) => [p.data, p.info]),
        [
          ['{"x":1}', undefined],
          ['"two"', info],
        ],
      );
      assert.equal(typeof publications[0]!.time, 'number');
    });

    it('carries a payload of bytes unchanged: live to every node, from history, and through a gap fill', async () => {
      const c = ch('bytes');
      await a.broker.subscribe(c);
      await b.broker.subscribe(c);
      // Every byte value, then random bytes, at sizes around the base64 padding cases.
      const payloads = [256, 257, 258, 65_536].map((n) => {
        const bytes = Buffer.alloc(n);
        for (let i = 0; i < 256 && i < n; i++) bytes[i] = i;
        if (n > 256) randomFillSync(bytes, 256);
        return binaryData(bytes.toString('base64'));
      });
      const [p1, p2, p3, p4] = payloads as [string, string, string, string];
      await a.broker.publish(c, p1, opts());
      await harness.publishUnseen(c, p2, opts());
      await b.broker.publish(c, p3, opts());
      await a.broker.publish(c, p4, opts({}, { info: { client: 'c1', user: null } }));
      await eventually(() => ra.on(c).length >= 4 && rb.on(c).length >= 4, 'the bytes on both nodes');
      for (const r of [ra, rb]) {
        const got = r.on(c);
        assert.deepEqual(
          got.map((p) => p.data),
          payloads,
        );
        assert.ok(got.every((p) => isBinaryData(p.data)));
        assert.deepEqual(
          Buffer.from(base64Of(got[0]!.data), 'base64'),
          Buffer.from(payloads[0]!.slice(1), 'base64'),
        );
      }
      const { publications } = await b.history.read(c, {});
      assert.deepEqual(
        publications.map((p) => p.data),
        payloads,
      );
      await a.broker.unsubscribe(c);
      await b.broker.unsubscribe(c);
    });

    it('delivers to every subscribed node, in offset order, with identical positions', async () => {
      const c = ch('fanout');
      await a.broker.subscribe(c);
      await b.broker.subscribe(c);
      for (let i = 1; i <= 20; i++) await (i % 3 ? a : b).broker.publish(c, String(i), opts());
      await eventually(() => ra.on(c).length === 20 && rb.on(c).length === 20, 'delivery to both nodes');
      const pa = ra.on(c).map((p) => [p.epoch, p.offset, p.data]);
      const pb = rb.on(c).map((p) => [p.epoch, p.offset, p.data]);
      assert.deepEqual(pa, pb);
      assert.deepEqual(
        pa.map((p) => p[1]),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });

    it('hands each node every publication once, in offset order, under concurrent publishes from every node', async () => {
      const c = ch('concurrent-fanout');
      await a.broker.subscribe(c);
      await b.broker.subscribe(c);
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).broker.publish(c, String(i), opts())),
      );
      await eventually(() => ra.on(c).length >= 200 && rb.on(c).length >= 200, 'delivery to both nodes');
      await sleep(30);
      for (const r of [ra, rb])
        assert.deepEqual(
          r.on(c).map((p) => p.offset),
          Array.from({ length: 200 }, (_, i) => i + 1),
        );
      await a.broker.unsubscribe(c);
      await b.broker.unsubscribe(c);
    });

    it('fills from history what live delivery lost, before handing on anything later', async () => {
      const c = ch('lost');
      await a.broker.subscribe(c);
      await b.broker.subscribe(c);
      await a.broker.publish(c, '1', opts());
      await eventually(() => ra.on(c).length === 1 && rb.on(c).length === 1, 'the first delivery');
      for (let i = 2; i <= 4; i++) await harness.publishUnseen(c, String(i), opts());
      await b.broker.publish(c, '5', opts());
      const resynced = (r: Recorder) => r.resyncs.some(([x]) => x === c);
      await eventually(
        () => ra.on(c).length >= 5 && rb.on(c).length >= 5 && resynced(ra) && resynced(rb),
        'the lost ones, from history',
      );
      await sleep(30);
      for (const r of [ra, rb]) {
        assert.deepEqual(
          r.on(c).map((p) => [p.offset, p.data]),
          [1, 2, 3, 4, 5].map((i) => [i, String(i)]),
        );
        const resyncs = r.resyncs.filter(([x]) => x === c).map(([, resync]) => resync);
        assert.ok(resyncs.length >= 1, 'the catch-up is reported');
        assert.ok(
          resyncs.every((x) => x.recovered),
          `history held everything: ${JSON.stringify(resyncs)}`,
        );
      }
      await a.broker.unsubscribe(c);
      await b.broker.unsubscribe(c);
    });

    it('says recovered: false when history no longer holds what was lost, and goes on in order', async () => {
      const c = ch('unrecoverable');
      const small = opts({ size: 2 });
      await b.broker.subscribe(c);
      await a.broker.publish(c, '1', small);
      await eventually(() => rb.on(c).length === 1, 'the first delivery');
      for (let i = 2; i <= 5; i++) await harness.publishUnseen(c, String(i), small);
      await a.broker.publish(c, '6', small); // history now holds only 5 and 6
      await eventually(
        () => rb.on(c).at(-1)?.offset === 6 && rb.resyncs.some(([x]) => x === c),
        'delivery after the gap',
      );
      const offsets = rb.on(c).map((p) => p.offset);
      assert.equal(offsets[0], 1);
      assert.ok(
        offsets.every((o, i) => i === 0 || o > offsets[i - 1]!),
        `in offset order: ${offsets}`,
      );
      assert.ok(!offsets.includes(2) && !offsets.includes(3), `trimmed ones cannot come: ${offsets}`);
      const resyncs = rb.resyncs.filter(([x]) => x === c).map(([, resync]) => resync);
      assert.ok(
        resyncs.some((x) => !x.recovered && x.from?.offset === 1),
        `a resync from offset 1 that did not recover: ${JSON.stringify(resyncs)}`,
      );
      await b.broker.unsubscribe(c);
    });

    it('delivers nothing to a node that did not subscribe, or unsubscribed', async () => {
      const c = ch('scoped');
      await a.broker.subscribe(c);
      await a.broker.publish(c, '1', opts());
      await eventually(() => ra.on(c).length === 1, 'delivery to the subscriber');
      await a.broker.unsubscribe(c);
      await a.broker.unsubscribe(c); // idempotent
      // A fence both nodes subscribe to, published after '2' from the same node: once both have it, '2' has
      // come through (or not) on each of them.
      const fence = ch('scoped-fence');
      await a.broker.subscribe(fence);
      await b.broker.subscribe(fence);
      await b.broker.publish(c, '2', opts());
      await b.broker.publish(fence, 'after', opts());
      await eventually(
        () => ra.on(fence).length === 1 && rb.on(fence).length === 1,
        'the fence on both nodes',
      );
      assert.equal(ra.on(c).length, 1);
      assert.equal(rb.on(c).length, 0);
    });

    it('reads history after a position, with limits, and says when it cannot recover', async () => {
      const c = ch('read');
      for (let i = 1; i <= 10; i++) await a.broker.publish(c, String(i), opts());
      const top = await a.history.top(c);
      const offsets = (r: { publications: Publication[] }) => r.publications.map((p) => p.offset);

      const all = await b.history.read(c, {});
      assert.deepEqual(offsets(all), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.equal(all.recovered, true);
      assert.deepEqual(all.top, top);
      assert.deepEqual(offsets(await b.history.read(c, { limit: 3 })), [8, 9, 10]);
      assert.deepEqual(offsets(await b.history.read(c, { limit: 0 })), []);

      const since = await b.history.read(c, { since: { epoch: top.epoch, offset: 6 } });
      assert.equal(since.recovered, true);
      assert.deepEqual(offsets(since), [7, 8, 9, 10]);
      const sinceLimited = await b.history.read(c, { since: { epoch: top.epoch, offset: 6 }, limit: 2 });
      assert.deepEqual(offsets(sinceLimited), [7, 8]);
      const atTop = await b.history.read(c, { since: top });
      assert.equal(atTop.recovered, true);
      assert.deepEqual(offsets(atTop), []);
      const fromZero = await b.history.read(c, { since: { epoch: top.epoch, offset: 0 } });
      assert.equal(fromZero.recovered, true);
      assert.equal(fromZero.publications.length, 10);

      const ahead = await b.history.read(c, { since: { epoch: top.epoch, offset: 11 } });
      assert.equal(ahead.recovered, false);
      const otherEpoch = await b.history.read(c, { since: { epoch: 'someotherepoch', offset: 3 } });
      assert.equal(otherEpoch.recovered, false);
    });

    it('trims history by size, and then cannot recover from before the kept window', async () => {
      const c = ch('size');
      for (let i = 1; i <= 10; i++) await a.broker.publish(c, String(i), opts({ size: 4 }));
      const r = await b.history.read(c, {});
      assert.deepEqual(
        r.publications.map((p) => p.offset),
        [7, 8, 9, 10],
      );
      const top = r.top;
      assert.equal((await b.history.read(c, { since: { epoch: top.epoch, offset: 6 } })).recovered, true);
      assert.equal((await b.history.read(c, { since: { epoch: top.epoch, offset: 5 } })).recovered, false);
    });

    it('trims history by age', async () => {
      const c = ch('ttl');
      await a.broker.publish(c, '"old"', opts({ ttlMs: 150 }));
      await sleep(300);
      await a.broker.publish(c, '"new"', opts({ ttlMs: 150 }));
      const r = await b.history.read(c, {});
      assert.deepEqual(
        r.publications.map((p) => p.data),
        ['"new"'],
      );
      assert.equal(r.top.offset, 2);
      // Everything aged out, but a reader already at the top loses nothing: still recovered.
      await sleep(300);
      const atTop = await b.history.read(c, { since: r.top });
      assert.equal(atTop.recovered, true);
      assert.equal(atTop.top.epoch, r.top.epoch);
    });

    it('advances positions without keeping anything when history size is 0', async () => {
      const c = ch('nohistory');
      await a.broker.subscribe(c);
      const p1 = await a.broker.publish(c, '1', opts({ size: 0 }));
      const p2 = await a.broker.publish(c, '2', opts({ size: 0 }));
      assert.equal(p2.publication.offset, p1.publication.offset + 1);
      const r = await a.history.read(c, {});
      assert.deepEqual(r.publications, []);
      assert.equal(r.top.offset, 2);
      await eventually(() => ra.on(c).length === 2, 'live delivery without history');
      await a.broker.unsubscribe(c);
    });

    it('forgets a removed stream: the next publication starts a new epoch', async () => {
      const c = ch('remove');
      const first = await a.broker.publish(c, '1', opts());
      await b.history.remove(c);
      const again = await a.broker.publish(c, '2', opts());
      assert.notEqual(again.publication.epoch, first.publication.epoch);
      assert.equal(again.publication.offset, 1);
    });

    it('deduplicates publishes by idempotency key across nodes, per channel', async () => {
      const c = ch('idem');
      const other = ch('idem-other');
      await a.broker.subscribe(c);
      const first = await a.broker.publish(
        c,
        '1',
        opts({}, { idempotencyKey: 'k', idempotencyTtlMs: 60_000 }),
      );
      const retry = await b.broker.publish(
        c,
        '1',
        opts({}, { idempotencyKey: 'k', idempotencyTtlMs: 60_000 }),
      );
      assert.equal(first.duplicate, false);
      assert.equal(retry.duplicate, true);
      assert.deepEqual(retry.publication, first.publication);
      const different = await b.broker.publish(
        c,
        '2',
        opts({}, { idempotencyKey: 'k2', idempotencyTtlMs: 60_000 }),
      );
      assert.equal(different.publication.offset, first.publication.offset + 1);
      const sameKeyElsewhere = await b.broker.publish(
        other,
        '1',
        opts({}, { idempotencyKey: 'k', idempotencyTtlMs: 60_000 }),
      );
      assert.equal(sameKeyElsewhere.duplicate, false);
      await eventually(() => ra.on(c).length === 2, 'delivery');
      await sleep(30);
      assert.deepEqual(
        ra.on(c).map((p) => p.data),
        ['1', '2'],
      );
      const expiring = await a.broker.publish(
        c,
        '3',
        opts({}, { idempotencyKey: 'short', idempotencyTtlMs: 100 }),
      );
      await sleep(250);
      const afterExpiry = await a.broker.publish(
        c,
        '3',
        opts({}, { idempotencyKey: 'short', idempotencyTtlMs: 100 }),
      );
      assert.equal(afterExpiry.duplicate, false);
      assert.equal(afterExpiry.publication.offset, expiring.publication.offset + 1);
      await a.broker.unsubscribe(c);
    });

    it('keeps presence across nodes, upserting by client, and expiring entries that are not refreshed', async () => {
      const c = ch('presence');
      await a.presence.add(c, { client: 'x', user: 'u1' }, 60_000);
      await b.presence.add(c, { client: 'y', user: null, info: { name: 'Y' } }, 60_000);
      await b.presence.add(c, { client: 'x', user: 'u1', info: { v: 2 } }, 60_000);
      const list = (await a.presence.list(c)).sort((p, q) => p.client.localeCompare(q.client));
      assert.deepEqual(list, [
        { client: 'x', user: 'u1', info: { v: 2 } },
        { client: 'y', user: null, info: { name: 'Y' } },
      ]);
      await a.presence.remove(c, 'y');
      await a.presence.remove(c, 'nobody');
      assert.deepEqual(
        (await b.presence.list(c)).map((p) => p.client),
        ['x'],
      );
      await a.presence.add(c, { client: 'short', user: null }, 100);
      await sleep(250);
      assert.deepEqual(
        (await b.presence.list(c)).map((p) => p.client),
        ['x'],
      );
    });

    it('decides occupancy across nodes: occupied by the first node, vacated by the last, once under concurrent changes; a dead node expires', async () => {
      // Optional in the contract (without it the hub decides per node): the nodes of one backend agree on it.
      const [oa, ob] = [a.occupancy, b.occupancy];
      assert.equal(oa === undefined, ob === undefined, 'every node of one backend has occupancy, or none');
      if (oa === undefined || ob === undefined) return;
      const node = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
      const [n1, n2] = [node('n1'), node('n2')];

      const c = ch('occupancy');
      assert.equal(await oa.occupy(c, n1, 60_000), true, 'the first node occupies');
      assert.equal(await ob.occupy(c, n2, 60_000), false, 'a second node does not');
      assert.equal(await oa.occupy(c, n1, 60_000), false, 'a refresh is not a new occupation');
      assert.equal(await ob.vacate(c, n1), false, 'the other node is still there');
      assert.equal(await oa.vacate(c, n1), false, 'an absent node vacates nothing');
      assert.equal(await oa.vacate(c, n2), true, 'the last node vacates');
      assert.equal(await ob.vacate(c, n2), false);

      // Ten nodes at once, through both engines: exactly one sees it occupied, exactly one sees it vacated.
      const racing = ch('occupancy-race');
      const names = Array.from({ length: 10 }, (_, i) => node(`r${i}`));
      const stores = names.map((_, i) => (i % 2 === 0 ? oa : ob));
      const occupied = await Promise.all(names.map((n, i) => stores[i]!.occupy(racing, n, 60_000)));
      assert.equal(occupied.filter(Boolean).length, 1, `occupied: ${occupied.join(',')}`);
      const vacated = await Promise.all(names.map((n, i) => stores[i]!.vacate(racing, n)));
      assert.equal(vacated.filter(Boolean).length, 1, `vacated: ${vacated.join(',')}`);

      const expiring = ch('occupancy-ttl');
      assert.equal(await oa.occupy(expiring, n1, 150), true);
      await sleep(400);
      assert.equal(
        await ob.occupy(expiring, n2, 60_000),
        true,
        'the dead node’s entry expired: the channel was free',
      );
      assert.equal(await oa.vacate(expiring, n1), false, 'the expired node vacates nothing');
      assert.equal(await ob.vacate(expiring, n2), true);
    });

    it('delivers join and leave to the nodes subscribed to the channel', async () => {
      const c = ch('joinleave');
      await b.broker.subscribe(c);
      const who = { client: 'j', user: null };
      await a.broker.publishJoin(c, who);
      await a.broker.publishLeave(c, who);
      await eventually(() => rb.leaves.some(([x]) => x === c), 'join and leave');
      assert.deepEqual(
        rb.joins.filter(([x]) => x === c),
        [[c, who]],
      );
      assert.equal(
        ra.joins.some(([x]) => x === c),
        false,
      );
      await b.broker.unsubscribe(c);
    });
  });
}
