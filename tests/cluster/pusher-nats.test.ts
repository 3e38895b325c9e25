// The Pusher dialect on two real hub nodes over a real nats-server with JetStream (the scenario:
// pusher-scenario.ts): presence members and occupancy come from the engine's presence store on NATS too.
import { NATS_DEFAULTS } from '@switchboard/engine-nats';
import { NatsServer } from '@switchboard/test-helpers/nats-server';
import { deliveryMs } from '@switchboard/test-helpers/nats-timing';
import { pusherOnTwoNodes } from './pusher-scenario.ts';

pusherOnTwoNodes(
  'NATS',
  async () => {
    const nats = await NatsServer.start();
    return { url: `${nats.url}?prefix=pusher`, stop: () => nats.destroy() };
  },
  deliveryMs(NATS_DEFAULTS),
);
