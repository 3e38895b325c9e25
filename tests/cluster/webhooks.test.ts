// Webhooks from three real hub nodes over real Redis, and over real NATS: a channel that gains subscribers on every
// node at once is reported occupied once, and vacated once when they all leave (the engine's occupancy store
// decides: a Lua script in Redis, compare-and-set on a JetStream KV key in NATS); per-connection events
// (member_added, connection_closed) come once, from the node holding the connection.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NatsServer } from '@switchboard/test-helpers/nats-server';
import { RedisServer } from '@switchboard/test-helpers/redis-server';
import { until } from '@switchboard/test-helpers/wait';
import { TestBackend } from '../helpers/backend.ts';
import { HubProcess } from '../helpers/hub-process.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const BACKENDS = {
  redis: async () => {
    const s = await RedisServer.start();
    return { url: s.url, stop: () => s.stop() };
  },
  nats: async () => {
    const s = await NatsServer.start();
    return { url: s.url, stop: () => s.stop() };
  },
} as const;

for (const [engine, start] of Object.entries(BACKENDS))
  describe(`cluster: webhooks on three nodes over ${engine}`, () => {
    let server: { url: string; stop: () => Promise<void> };
    let backend: TestBackend;
    let nodes: HubProcess[] = [];

    before(async () => {
      server = await start();
      backend = await TestBackend.start();
      const env = {
        SWITCHBOARD_WEBHOOKS_URL: `${backend.url}/hooks`,
        SWITCHBOARD_WEBHOOKS_SECRET: 's'.repeat(40),
      };
      nodes = await Promise.all([0, 1, 2].map(() => HubProcess.start(server.url, ['--presence'], env)));
    });
    after(async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await backend?.close();
      await server?.stop();
    });

    const events = (name: string, channel: string) =>
      backend.calls
        .flatMap((c) => c.body.events as Record<string, any>[])
        .filter((e) => e.name === name && e.channel === channel);

    it('occupied once and vacated once per channel, however many nodes join and leave at once', async () => {
      for (let round = 0; round < 4; round++) {
        const channel = `room-${round}`;
        // Two connections per node, all subscribing at once.
        const clients = await Promise.all(
          [...nodes, ...nodes].map(async (n) => {
            const c = await WsTestClient.connect(n.wsUrl);
            await c.request({ type: 'subscribe', channel });
            return c;
          }),
        );
        await until(
          () => events('member_added', channel).length === 6,
          () => `member_added: ${events('member_added', channel).length} of 6`,
          10_000,
        );
        await Promise.all(clients.map((c) => c.close()));
        await until(
          () =>
            events('channel_vacated', channel).length >= 1 && events('member_removed', channel).length === 6,
          () => `round ${round}: vacated ${events('channel_vacated', channel).length}`,
          10_000,
        );
        // Anything sent twice would have arrived by now: the receiver answers at once.
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(events('channel_occupied', channel).length, 1, `round ${round}: occupied once`);
        assert.equal(events('channel_vacated', channel).length, 1, `round ${round}: vacated once`);
        assert.equal(events('member_added', channel).length, 6);
      }
    });
  });
