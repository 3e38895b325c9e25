// The Pusher dialect on two real hub nodes over real Redis (the scenario: pusher-scenario.ts).
import { REDIS_DEFAULTS } from '@switchboard/engine-redis';
import { RedisServer } from '@switchboard/test-helpers/redis-server';
import { deliveryMs } from '@switchboard/test-helpers/redis-timing';
import { pusherOnTwoNodes } from './pusher-scenario.ts';

const ENGINE = { timeoutMs: REDIS_DEFAULTS.timeoutMs, reconnectMaxMs: 200 };

pusherOnTwoNodes(
  'Redis',
  async () => {
    const redis = await RedisServer.start();
    return {
      url: `${redis.url}?timeout=${ENGINE.timeoutMs}&reconnectMax=${ENGINE.reconnectMaxMs}`,
      stop: () => redis.stop(),
    };
  },
  deliveryMs(ENGINE),
);
