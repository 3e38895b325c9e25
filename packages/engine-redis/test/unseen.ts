import type { Publication, PublishOptions } from '@switchboard/engine-kit';
import type { EngineHarness } from '@switchboard/engine-kit/conformance';
import { RedisSentinelSet } from '@switchboard/test-helpers/redis-sentinel';
import { createClient, createCluster } from 'redis';
import { publishCall, publishResult } from '../src/broker.ts';
import { createRedisEngine } from '../src/index.ts';
import { channelKeys } from '../src/keys.ts';
import { PUBLISH } from '../src/scripts.ts';

/** Where the publisher sends its commands: one Redis (a master), or a cluster through its nodes. */
export type UnseenTarget = { readonly url: string } | { readonly cluster: readonly number[] };

export interface UnseenPublisher {
  publish(channel: string, data: string, options: PublishOptions): Promise<Publication>;
  close(): Promise<void>;
}

/**
 * Publishes through the engine's own publish script, but out on a shard channel no node listens to (in the
 * channel's hash slot, as the script needs): the publication gets its position and its place in the stream, and
 * no node receives it live, as if Redis pub/sub had lost it on the way. The engine must fill it from history.
 */
export async function unseenPublisher(target: UnseenTarget, prefix = 'sb'): Promise<UnseenPublisher> {
  const send =
    'url' in target
      ? await (async () => {
          const client = createClient({ url: target.url });
          client.on('error', () => {});
          await client.connect();
          return {
            run: (args: string[]) => client.sendCommand(args),
            close: () => client.quit().then(() => {}),
          };
        })()
      : await (async () => {
          const cluster = createCluster({
            rootNodes: target.cluster.map((port) => ({ socket: { host: '127.0.0.1', port } })),
            useReplicas: false,
          });
          cluster.on('error', () => {});
          await cluster.connect();
          return {
            run: (args: string[], key?: string) => cluster.sendCommand(key, false, args),
            close: () => cluster.quit().then(() => {}),
          };
        })();
  return {
    async publish(channel, data, options) {
      const nowhere = `${channelKeys(prefix, channel).pubsub}:unseen`;
      const call = publishCall(prefix, channel, data, options, 'SPUBLISH', nowhere);
      const reply = await send.run(
        ['EVAL', PUBLISH.source, String(call.keys.length), ...call.keys, ...call.args],
        call.keys[0],
      );
      return publishResult(channel, reply).publication;
    },
    close: send.close,
  };
}

/**
 * A conformance harness's `publishUnseen`, over a publisher made on first use from `target()` (the backend is
 * started by the harness's first `createNodes`); `close` ends it in the harness's cleanup.
 */
export function unseenHarness(target: () => Promise<UnseenTarget>): {
  publishUnseen: UnseenPublisher['publish'];
  close(): Promise<void>;
} {
  let publisher: Promise<UnseenPublisher> | undefined;
  return {
    publishUnseen: async (channel, data, options) => {
      publisher ??= target().then((t) => unseenPublisher(t));
      return (await publisher).publish(channel, data, options);
    },
    close: async () => {
      await (await publisher)?.close();
    },
  };
}

/**
 * The conformance harness over one Sentinel deployment (started by the first `createNodes`), every engine made
 * with the URL's query string `query` (`?waitReplicas=1`, say).
 */
export function sentinelHarness(query = ''): EngineHarness {
  let set: RedisSentinelSet | undefined;
  const unseen = unseenHarness(async () => ({ url: `redis://127.0.0.1:${await set!.masterPort()}` }));
  return {
    async createNodes(n) {
      set ??= await RedisSentinelSet.start();
      const url = set.url(query);
      return Promise.all(Array.from({ length: n }, () => createRedisEngine(url)));
    },
    async cleanup() {
      await unseen.close();
      await set?.stop();
    },
    publishUnseen: unseen.publishUnseen,
  };
}
