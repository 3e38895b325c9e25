import type { Engine } from '@switchboard/server/engine/types';
import { EngineError } from '@switchboard/server/errors';
import { RedisBroker } from './broker.ts';
import { type Client, command, connect, discard, open } from './connection.ts';
import { RedisHistory } from './history.ts';
import { parseRedisUrl, type RedisEngineOptions } from './options.ts';
import { RedisPresence } from './presence.ts';

export { channelKeys } from './keys.ts';
export { parseRedisUrl, REDIS_DEFAULTS, type RedisEngineOptions } from './options.ts';

export interface RedisEngine extends Engine {
  /** Whether publications travel over sharded pub/sub (SPUBLISH) or plain PUBLISH. */
  readonly sharded: boolean;
  /** The parsed options (the URL without its password is in `options.url` only as given: do not log it). */
  readonly options: RedisEngineOptions;
}

/** Whether the server has sharded pub/sub (Redis 7+): `COMMAND INFO SPUBLISH` answers nil on older ones. */
async function hasShardedPubsub(client: Client): Promise<boolean> {
  const reply = await command(client, ['COMMAND', 'INFO', 'SPUBLISH']);
  return Array.isArray(reply) && reply[0] !== null && reply[0] !== undefined;
}

/**
 * The Redis engine: several hub nodes over one Redis. Two connections per node: commands (publish script,
 * history, presence) and a subscriber. Connects before it returns; an unreachable Redis rejects with
 * `unavailable` after the URL's `timeout`, and a bad URL with `bad_request`.
 *
 * @param url `redis://` or `rediss://`, with Switchboard's options in the query string (options.ts).
 */
export async function createRedisEngine(url: string): Promise<RedisEngine> {
  const options = parseRedisUrl(url);
  const cmd = connect(options, 'switchboard');
  const sub = connect(options, 'switchboard-sub');
  let closed = false;
  const guard = () => {
    if (closed) throw new EngineError('the engine is closed');
  };
  try {
    await open(cmd, options);
    await open(sub, options);
  } catch (err) {
    discard(cmd);
    discard(sub);
    throw err;
  }
  let sharded: boolean;
  try {
    const available = await hasShardedPubsub(cmd);
    if (options.sharded === 'yes' && !available)
      throw new EngineError('sharded=yes, but this Redis has no sharded pub/sub (Redis 7 or later has)');
    sharded = options.sharded === 'yes' || (options.sharded === 'auto' && available);
  } catch (err) {
    discard(cmd);
    discard(sub);
    throw err;
  }

  const history = new RedisHistory(cmd, options.prefix, guard);
  const presence = new RedisPresence(cmd, options.prefix, guard);
  const broker = new RedisBroker(
    cmd,
    sub,
    history,
    { prefix: options.prefix, sharded, timeoutMs: options.timeoutMs },
    guard,
  );
  // The first `ready` came with `open`; every later one is a reconnection after a loss, when pub/sub may have
  // dropped publications: the broker resubscribes what is missing and hands the hub what it missed.
  sub.on('ready', () => {
    if (!closed) void broker.reconnected();
  });

  return {
    name: 'redis',
    broker,
    history,
    presence,
    sharded,
    options,
    ready: () => !closed && cmd.isReady && sub.isReady,
    async close() {
      if (closed) return;
      closed = true;
      await broker.close();
      // `destroy`, not `close`: nothing queued is worth waiting for, and a down Redis must not stall shutdown.
      discard(cmd);
      discard(sub);
    },
  };
}
