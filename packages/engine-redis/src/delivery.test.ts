import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Recorder } from '@switchboard/server/engine/conformance';
import { createMemoryEngine } from '@switchboard/server/engine/memory';
import type { Publication, PublishOptions } from '@switchboard/server/engine/types';
import { until } from '../../../tests/helpers/wait.ts';
import { Delivery } from './delivery.ts';

// The history here is the memory engine's (real code); publications are fed to Delivery by hand, so the test
// decides exactly which ones pub/sub "dropped".
const opts: PublishOptions = { history: { size: 100, ttlMs: 60_000, metaTtlMs: 60_000 } };

async function setup() {
  const engine = createMemoryEngine();
  const delivery = new Delivery(engine.history);
  const rec = new Recorder();
  delivery.handler = rec;
  delivery.watch('c');
  const publish = async (n: number): Promise<Publication[]> => {
    const out: Publication[] = [];
    for (let i = 0; i < n; i++) out.push((await engine.broker.publish('c', String(i), opts)).publication);
    return out;
  };
  return { engine, delivery, rec, publish };
}

const offsets = (rec: Recorder) => rec.on('c').map((p) => p.offset);

describe('redis engine delivery (between pub/sub and the hub)', () => {
  it('fills a jump in offsets from history before handing on anything later, in order', async () => {
    const { delivery, rec, publish } = await setup();
    const [p1, , , , p5] = await publish(5);
    delivery.onPublication(p1!);
    delivery.onPublication(p5!);
    const [p6] = await publish(1);
    delivery.onPublication(p6!); // arrives while the gap is being read: waits its turn
    await until(
      () => rec.on('c').length === 6,
      () => `got ${offsets(rec)}`,
    );
    assert.deepEqual(offsets(rec), [1, 2, 3, 4, 5, 6]);
  });

  it('hands over what was missed after a reconnection, with no further publication', async () => {
    const { delivery, rec, publish } = await setup();
    const [p1] = await publish(1);
    delivery.onPublication(p1!);
    await publish(3); // dropped: the connection was down
    delivery.resync();
    await until(
      () => rec.on('c').length === 4,
      () => `got ${offsets(rec)}`,
    );
    assert.deepEqual(offsets(rec), [1, 2, 3, 4]);
  });

  it('starts from the position noted at subscribe when nothing was received before the connection broke', async () => {
    const { engine, delivery, rec, publish } = await setup();
    await publish(2);
    delivery.notePosition('c', await engine.history.top('c'));
    await publish(2);
    delivery.resync();
    await until(
      () => rec.on('c').length === 2,
      () => `got ${offsets(rec)}`,
    );
    assert.deepEqual(offsets(rec), [3, 4]);
  });

  it('reads a new epoch from its start when the first publication seen in it is past offset 1', async () => {
    const { engine, delivery, rec, publish } = await setup();
    const [old] = await publish(1);
    delivery.onPublication(old!);
    await engine.history.remove('c'); // the stream was lost
    const fresh = await publish(3);
    delivery.onPublication(fresh[2]!);
    await until(
      () => rec.on('c').length === 4,
      () => `got ${offsets(rec)}`,
    );
    assert.deepEqual(rec.on('c').slice(1), fresh);
  });

  it('retries a catch-up on a timer while history is unreachable, then hands everything over in order', async () => {
    const { engine, delivery, rec, publish } = await setup();
    const [old] = await publish(1);
    delivery.onPublication(old!);
    await engine.history.remove('c');
    const fresh = await publish(3);
    engine.cluster.setAvailable(false); // every history read now fails at once, as an offline connection does
    delivery.onPublication(fresh[1]!);
    delivery.onPublication(fresh[2]!);
    // Past two of Delivery's retry intervals (200 ms): at least one timed retry has run and failed meanwhile,
    // and nothing was handed on out of order.
    await new Promise((r) => setTimeout(r, 2 * 200 + 100));
    assert.deepEqual(offsets(rec), [1]);
    engine.cluster.setAvailable(true);
    await until(
      () => rec.on('c').length === 4,
      () => `got ${offsets(rec)}`,
    );
    assert.deepEqual(rec.on('c').slice(1), fresh);
  });

  it('drops duplicates and anything for channels it does not watch', async () => {
    const { delivery, rec, publish } = await setup();
    const [p1, p2] = await publish(2);
    delivery.onPublication(p1!);
    delivery.onPublication(p2!);
    delivery.onPublication(p1!);
    delivery.onPublication({ ...p1!, channel: 'other' });
    delivery.unwatch('c');
    const [p3] = await publish(1);
    delivery.onPublication(p3!);
    assert.deepEqual(offsets(rec), [1, 2]);
    assert.equal(rec.publications.length, 2);
  });
});
