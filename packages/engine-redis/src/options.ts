import { SwitchboardError } from '@switchboard/server/errors';

/** How the engine reaches Redis and names its keys; every field is read from the engine URL's query string. */
export interface RedisEngineOptions {
  /** The Redis URL without Switchboard's query parameters, as node-redis takes it. */
  readonly url: string;
  /** First part of every key and pub/sub channel, so several hubs can share one Redis. Default `sb`. */
  readonly prefix: string;
  /** Longest wait for any one Redis command, and for the first connection, in milliseconds. Default 2000. */
  readonly timeoutMs: number;
  /** Sharded pub/sub (SSUBSCRIBE/SPUBLISH): `auto` uses it when the server has it (Redis 7+). Default `auto`. */
  readonly sharded: 'auto' | 'yes' | 'no';
  /** Longest pause between reconnection attempts, in milliseconds. Default 1000. */
  readonly reconnectMaxMs: number;
}

export const REDIS_DEFAULTS = {
  prefix: 'sb',
  timeoutMs: 2_000,
  sharded: 'auto',
  reconnectMaxMs: 1_000,
} as const satisfies Omit<RedisEngineOptions, 'url'>;

const SCHEMES = ['redis:', 'rediss:'];
const PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;

function bad(message: string): SwitchboardError {
  return new SwitchboardError('bad_request', `engine URL: ${message}`);
}

function integer(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max)
    throw bad(`"${name}" must be a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

/**
 * Parses `redis://[user:password@]host:port[/db]?prefix=sb&timeout=2000&sharded=auto&reconnectMax=1000`.
 * Unknown parameters and bad values are refused with a `bad_request` error that never echoes the password.
 */
export function parseRedisUrl(input: string): RedisEngineOptions {
  if (input.startsWith('redis+sentinel:') || input.startsWith('redis-sentinel:'))
    throw bad('Redis Sentinel is not supported by this build of the Redis engine (see docs/scaling.md)');
  if (!URL.canParse(input)) throw bad('not a URL');
  const url = new URL(input);
  if (!SCHEMES.includes(url.protocol)) throw bad(`expected redis:// or rediss://, got "${url.protocol}//"`);
  let prefix: string = REDIS_DEFAULTS.prefix;
  let timeoutMs: number = REDIS_DEFAULTS.timeoutMs;
  let sharded: RedisEngineOptions['sharded'] = REDIS_DEFAULTS.sharded;
  let reconnectMaxMs: number = REDIS_DEFAULTS.reconnectMaxMs;
  for (const [name, value] of url.searchParams) {
    switch (name) {
      case 'prefix':
        if (!PREFIX.test(value)) throw bad('"prefix" must be 1 to 64 of A-Z a-z 0-9 _ . : -');
        prefix = value;
        break;
      case 'timeout':
        timeoutMs = integer(name, value, 50, 60_000);
        break;
      case 'reconnectMax':
        reconnectMaxMs = integer(name, value, 10, 60_000);
        break;
      case 'sharded':
        if (value !== 'auto' && value !== 'yes' && value !== 'no')
          throw bad('"sharded" must be auto, yes or no');
        sharded = value;
        break;
      default:
        throw bad(`unknown parameter "${name}" (known: prefix, timeout, sharded, reconnectMax)`);
    }
  }
  url.search = '';
  return { url: url.toString(), prefix, timeoutMs, sharded, reconnectMaxMs };
}
