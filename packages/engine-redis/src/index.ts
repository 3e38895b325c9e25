import type { Engine } from '@switchboard/server/engine/types';
import { EngineError } from '@switchboard/server/errors';
import { RedisBroker } from './broker.ts';
import { Commands, connect, discard, open } from './connection.ts';
import { RedisHistory } from './history.ts';
import { parseRedisUrl, type RedisEngineOptions } from './options.ts';
import { RedisPresence } from './presence.ts';

export { channelKeys } from './keys.ts';
export { parseRedisUrl, REDIS_DEFAULTS, type RedisEngineOptions } from './options.ts';

/** Where the engine reports connection losses and recoveries (a pino logger fits). */
export interface EngineLog {
  warn(context: object, message: string): void;
  info(context: object, message: string): void;
}

export interface RedisEngineHooks {
  readonly log?: EngineLog;
}

export interface RedisEngine extends Engine {
  /** Whether publications travel over sharded pub/sub (SPUBLISH) or plain PUBLISH. */
  readonly sharded: boolean;
  /** The parsed options (the URL without its password is in `options.url` only as given: do not log it). */
  readonly options: RedisEngineOptions;
}

/** Whether the server has sharded pub/sub (Redis 7+): `COMMAND INFO SPUBLISH` answers nil on older ones. */
async function hasShardedPubsub(redis: Commands): Promise<boolean> {
  const reply = await redis.command(['COMMAND', 'INFO', 'SPUBLISH']);
  return Array.isArray(reply) && reply[0] !== null && reply[0] !== undefined;
}

/**
 * The Redis engine: several hub nodes over one Redis. Two connections per node: commands (publish script,
 * history, presence) and a subscriber. Connects before it returns; an unreachable Redis rejects with
 * `unavailable` after the URL's `timeout`, and a bad URL with `bad_request`.
 *
 * @param url `redis://` or `rediss://`, with Switchboard's options in the query string (options.ts).
 * @param hooks `log`: told once when a connection is lost and once when it is back.
 */
export async function createRedisEngine(url: string, hooks: RedisEngineHooks = {}): Promise<RedisEngine> {
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
  const commands = new Commands(cmd, options.timeoutMs);
  let sharded: boolean;
  try {
    const available = await hasShardedPubsub(commands);
    if (options.sharded === 'yes' && !available)
      throw new EngineError('sharded=yes, but this Redis has no sharded pub/sub (Redis 7 or later has)');
    sharded = options.sharded === 'yes' || (options.sharded === 'auto' && available);
  } catch (err) {
    discard(cmd);
    discard(sub);
    throw err;
  }

  const history = new RedisHistory(commands, options.prefix, guard);
  const presence = new RedisPresence(commands, options.prefix, guard);
  const broker = new RedisBroker(
    commands,
    sub,
    history,
    { prefix: options.prefix, sharded, timeoutMs: options.timeoutMs },
    guard,
  );
  if (hooks.log !== undefined) {
    watchConnection(cmd, 'commands', hooks.log);
    watchConnection(sub, 'subscriber', hooks.log);
  }
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
    ready: () => !closed && commands.ready && sub.isReady,
    async close() {
      if (closed) return;
      closed = true;
      await broker.close();
      commands.close();
      // `destroy`, not `close`: nothing queued is worth waiting for, and a down Redis must not stall shutdown.
      discard(cmd);
      discard(sub);
    },
  };
}

/** Logs a connection's loss once (not every failed reconnection attempt) and its recovery. */
function watchConnection(client: ReturnType<typeof connect>, connection: string, log: EngineLog): void {
  let up = true;
  const lost = (reason: string) => {
    if (!up) return;
    up = false;
    log.warn({ engine: 'redis', connection, reason }, 'Redis connection lost; reconnecting');
  };
  client.on('error', (err: unknown) => lost(err instanceof Error ? err.message : 'error'));
  client.on('end', () => lost('closed'));
  client.on('reconnecting', () => lost('reconnecting'));
  client.on('ready', () => {
    if (up) return;
    up = true;
    log.info({ engine: 'redis', connection }, 'Redis connection restored');
  });
}
