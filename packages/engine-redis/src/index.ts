import { type Engine, EngineError, type EngineLog } from '@switchboard/engine-kit';
import { RedisBroker } from './broker.ts';
import { ClusterLink } from './cluster.ts';
import { Commands } from './commands.ts';
import { RedisHistory } from './history.ts';
import { DirectLink, type Link } from './link.ts';
import { RedisOccupancy } from './occupancy.ts';
import { parseRedisUrl, type RedisEngineOptions } from './options.ts';
import { RedisPresence } from './presence.ts';
import { ReplicaWait } from './replicas.ts';
import { SentinelLink, Sentinels } from './sentinel.ts';

export type { EngineLog } from '@switchboard/engine-kit';
export { channelKeys } from './keys.ts';
export {
  parseRedisUrl,
  REDIS_DEFAULTS,
  type RedisEngineOptions,
  type RedisNode,
  type SentinelTarget,
} from './options.ts';

export interface RedisEngineHooks {
  readonly log?: EngineLog;
}

export interface RedisEngine extends Engine {
  /** Whether publications travel over sharded pub/sub (SPUBLISH) or plain PUBLISH. */
  readonly sharded: boolean;
  /** The parsed options (the URL without its password is in `options.url` only as given: do not log it). */
  readonly options: RedisEngineOptions;
  /** Under Sentinel: the master each connection talks to now (undefined for a single Redis). */
  masters():
    | { commands: string | undefined; subscriber: string | undefined; publisher?: string | undefined }
    | undefined;
}

/** Whether the server has sharded pub/sub (Redis 7+): `COMMAND INFO SPUBLISH` answers nil on older ones. */
async function hasShardedPubsub(redis: Commands): Promise<boolean> {
  const reply = await redis.command(['COMMAND', 'INFO', 'SPUBLISH']);
  return Array.isArray(reply) && reply[0] !== null && reply[0] !== undefined;
}

/**
 * The Redis engine: several hub nodes over one Redis. Two connections per node: commands (publish script,
 * history, presence) and a subscriber; with `waitReplicas`, a third for publishes (replicas.ts). Connects before
 * it returns; an unreachable Redis rejects with `unavailable` after the URL's `timeout`, and a bad URL with
 * `bad_request`. Under Sentinel every connection goes to the master the sentinels name, and follows it when it
 * moves (sentinel.ts); on a Redis Cluster each is a node-redis cluster client (cluster.ts).
 *
 * @param url `redis://`, `rediss://`, `redis+sentinel://` or `redis+cluster://`, with Switchboard's options in the query string
 *   (options.ts).
 * @param hooks `log`: told once when a connection is lost and once when it is back.
 */
export async function createRedisEngine(url: string, hooks: RedisEngineHooks = {}): Promise<RedisEngine> {
  const options = parseRedisUrl(url);
  const target = options.sentinel;
  const sentinels = target === undefined ? undefined : new Sentinels(options, target);
  const link = (name: string): Link => {
    if (sentinels !== undefined) return new SentinelLink(options, name, sentinels);
    if (options.cluster !== undefined) return new ClusterLink(options, name);
    return new DirectLink(options, name);
  };
  const cmd = link('switchboard');
  const sub = link('switchboard-sub');
  // `waitReplicas`: WAIT blocks the connection it is sent on, so publishes get one of their own (replicas.ts).
  const pub = options.waitReplicas > 0 ? link('switchboard-pub') : undefined;
  const drop = () => {
    cmd.close();
    sub.close();
    pub?.close();
    sentinels?.close();
  };
  let closed = false;
  const guard = () => {
    if (closed) throw new EngineError('the engine is closed');
  };
  try {
    await cmd.open();
    await sub.open();
    await pub?.open();
  } catch (err) {
    drop();
    throw err;
  }
  const commands = new Commands(cmd, options.timeoutMs);
  const publishing = pub === undefined ? undefined : new Commands(pub, options.timeoutMs);
  let sharded: boolean;
  try {
    const available = await hasShardedPubsub(commands);
    if ((options.sharded === 'yes' || options.cluster !== undefined) && !available)
      throw new EngineError(
        options.cluster === undefined
          ? 'sharded=yes, but this Redis has no sharded pub/sub (Redis 7 or later has)'
          : 'this Redis Cluster has no sharded pub/sub, which the engine needs there (Redis 7 or later has)',
      );
    sharded = options.sharded === 'yes' || (options.sharded === 'auto' && available);
  } catch (err) {
    drop();
    throw err;
  }

  const history = new RedisHistory(commands, options.prefix, guard);
  const presence = new RedisPresence(commands, options.prefix, guard);
  const occupancy = new RedisOccupancy(commands, options.prefix, guard);
  const broker = new RedisBroker(
    commands,
    sub,
    history,
    {
      prefix: options.prefix,
      sharded,
      timeoutMs: options.timeoutMs,
      ...(publishing === undefined
        ? {}
        : {
            replicated: {
              commands: publishing,
              wait: new ReplicaWait(publishing, options.waitReplicas, options.timeoutMs),
              cluster: options.cluster !== undefined,
            },
          }),
    },
    guard,
  );
  if (hooks.log !== undefined) {
    watchConnection(cmd, 'commands', hooks.log);
    watchConnection(sub, 'subscriber', hooks.log);
    if (pub !== undefined) watchConnection(pub, 'publisher', hooks.log);
  }
  // Every `ready` after `open` is a reconnection after a loss, when pub/sub may have dropped publications: the
  // broker resubscribes what is missing and hands the hub what it missed.
  sub.onReady((fresh) => {
    if (!closed) void broker.reconnected(fresh);
  });
  const where = (l: Link): string | undefined => {
    const node = l instanceof SentinelLink ? l.node : undefined;
    return node === undefined ? undefined : `${node.host}:${node.port}`;
  };

  return {
    name: 'redis',
    broker,
    history,
    presence,
    occupancy,
    sharded,
    options,
    ready: () => !closed && commands.ready && sub.isReady && (publishing?.ready ?? true),
    masters: () =>
      sentinels === undefined
        ? undefined
        : {
            commands: where(cmd),
            subscriber: where(sub),
            ...(pub === undefined ? {} : { publisher: where(pub) }),
          },
    async close() {
      if (closed) return;
      closed = true;
      await broker.close();
      commands.close();
      publishing?.close();
      // Dropped, not closed politely: nothing queued is worth waiting for, and a down Redis must not stall
      // shutdown.
      drop();
    },
  };
}

/** Logs a connection's loss once (not every failed reconnection attempt) and its recovery. */
function watchConnection(link: Link, connection: string, log: EngineLog): void {
  let up = true;
  link.onLost((reason) => {
    if (!up) return;
    up = false;
    log.warn({ engine: 'redis', connection, reason }, 'Redis connection lost; reconnecting');
  });
  link.onReady((fresh) => {
    if (up && !fresh) return;
    const was = up;
    up = true;
    // Fresh while up: a Sentinel check found the master moved without this connection breaking first.
    log.info({ engine: 'redis', connection }, was ? 'Redis master changed' : 'Redis connection restored');
  });
}
