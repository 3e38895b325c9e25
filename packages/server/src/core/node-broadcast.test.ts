import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Engine, PublishResult } from '@switchboard/engine-kit';
import pino from 'pino';
import { createAuthenticator } from '../auth/index.ts';
import { DEFAULTS } from '../config/defaults.ts';
import type { Config } from '../config/types.ts';
import { createMemoryEngine } from '../engine/memory/index.ts';
import { SwitchboardError } from '../errors.ts';
import { Metrics } from '../observability/metrics.ts';
import { ProxyHooks } from '../proxy/hooks.ts';
import { SwitchboardNode } from './node.ts';
import { Payload } from './payload.ts';

// `small:` channels take payloads of at most 8 bytes.
const config: Config = {
  ...DEFAULTS,
  namespaces: { small: { maxMessageBytes: 8 } },
};

async function nodeOn(engine: Engine): Promise<{ node: SwitchboardNode; metrics: Metrics }> {
  const logger = pino({ level: 'silent' });
  const metrics = new Metrics({
    connections: () => ({ websocket: 0, sse: 0 }),
    channels: () => 0,
    outgoingBytes: () => 0,
  });
  const node = new SwitchboardNode({
    engine,
    config,
    logger,
    metrics,
    authenticator: createAuthenticator(config, logger),
    hooks: new ProxyHooks(config.proxy, metrics.registry, logger),
  });
  await node.start();
  return { node, metrics };
}

/** Each result as [offset, duplicate] or the refusal's code. */
const shape = (results: (PublishResult | SwitchboardError)[]) =>
  results.map((r) => (r instanceof SwitchboardError ? r.code : [r.publication.offset, r.duplicate]));

/** The memory engine as an engine without `publishMany` (as Redis and NATS are): one publish per channel. */
function withoutBatch(engine: Engine): Engine {
  const { publishMany: _, ...broker } = engine.broker;
  return { ...engine, broker };
}

describe('SwitchboardNode.broadcast', () => {
  for (const [name, make] of [
    ['through the engine in one call (publishMany)', () => createMemoryEngine()],
    ['one publish per channel (an engine without publishMany)', () => withoutBatch(createMemoryEngine())],
  ] as const) {
    it(`publishes ${name}: each channel's result or refusal in its place, keys per channel, counted`, async () => {
      const engine = make();
      assert.equal(engine.broker.publishMany === undefined, name.startsWith('one'));
      const { node, metrics } = await nodeOn(engine);
      const payload = Payload.of({ long: 'more than eight bytes' });
      const first = await node.broadcast(['a', 'small:x', 'b', 'a'], payload, {}, 'api');
      assert.deepEqual(shape(first), [[1, false], 'payload_too_large', [1, false], [2, false]]);
      const keyed = await node.broadcast(['a', 'b'], Payload.of(1), { idempotencyKey: 'k' }, 'api');
      assert.deepEqual(shape(keyed), [
        [3, false],
        [2, false],
      ]);
      // The retry is a duplicate on every channel, and is not counted again.
      const retried = await node.broadcast(['b', 'a'], Payload.of(1), { idempotencyKey: 'k' }, 'api');
      assert.deepEqual(shape(retried), [
        [2, true],
        [3, true],
      ]);
      assert.equal(metrics.published.api, 5);
      // History holds what was published, once.
      const h = await node.history('a', {});
      assert.deepEqual(
        h.publications.map((p) => p.data),
        ['{"long":"more than eight bytes"}', '{"long":"more than eight bytes"}', '1'],
      );
      await node.close();
    });
  }

  it('gives every channel the engine’s refusal when the engine cannot be reached', async () => {
    const engine = createMemoryEngine();
    const { node } = await nodeOn(engine);
    engine.cluster.setAvailable(false);
    const results = await node.broadcast(['a', 'b'], Payload.of(1), {}, 'api');
    assert.deepEqual(shape(results), ['unavailable', 'unavailable']);
    engine.cluster.setAvailable(true);
    await node.close();
  });
});
