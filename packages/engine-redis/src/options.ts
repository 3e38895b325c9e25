import { SwitchboardError } from '@switchboard/engine-kit';

/** One Redis or Sentinel address. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** Where the master is found when the URL is `redis+sentinel://`. */
export interface SentinelTarget {
  /** The master's name as the sentinels know it (`sentinel monitor <name> …`). */
  readonly master: string;
  /** The sentinels, asked in turn. */
  readonly sentinels: readonly RedisNode[];
  /** Credentials and database for the master (the sentinels themselves are reached without credentials). */
  readonly username?: string;
  readonly password?: string;
  readonly database: number;
}

/** The seed nodes when the URL is `redis+cluster://`: the engine learns the rest of the cluster from them. */
export interface ClusterTarget {
  readonly nodes: readonly RedisNode[];
  readonly username?: string;
  readonly password?: string;
}

/** How the engine reaches Redis and names its keys; every field is read from the engine URL's query string. */
export interface RedisEngineOptions {
  /** The Redis URL without Switchboard's query parameters, as node-redis takes it (for Sentinel: as given). */
  readonly url: string;
  /** Set for `redis+sentinel://`: the master is looked up through these sentinels and followed on failover. */
  readonly sentinel?: SentinelTarget;
  /** Set for `redis+cluster://`: a Redis Cluster, reached through these seed nodes. */
  readonly cluster?: ClusterTarget;
  /** First part of every key and pub/sub channel, so several hubs can share one Redis. Default `sb`. */
  readonly prefix: string;
  /** Longest wait for any one Redis command, and for the first connection, in milliseconds. Default 2000. */
  readonly timeoutMs: number;
  /** Sharded pub/sub (SSUBSCRIBE/SPUBLISH): `auto` uses it when the server has it (Redis 7+). Default `auto`. */
  readonly sharded: 'auto' | 'yes' | 'no';
  /** Longest pause between reconnection attempts, in milliseconds. Default 1000. */
  readonly reconnectMaxMs: number;
  /**
   * Replicas that must hold a publication before its publish is acknowledged (`WAIT`, bounded by `timeoutMs`),
   * so a failover to one of them cannot lose it. Default 0: acknowledged once the master has it.
   */
  readonly waitReplicas: number;
}

export const REDIS_DEFAULTS = {
  prefix: 'sb',
  timeoutMs: 2_000,
  sharded: 'auto',
  reconnectMaxMs: 1_000,
  waitReplicas: 0,
} as const satisfies Omit<RedisEngineOptions, 'url'>;

const SCHEMES = ['redis:', 'rediss:'];
const SENTINEL_SCHEME = 'redis+sentinel://';
const CLUSTER_SCHEME = 'redis+cluster://';
const PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;
const MASTER_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const SENTINEL_PORT = 26379;

type QueryOptions = Omit<RedisEngineOptions, 'url' | 'sentinel' | 'cluster'>;

function bad(message: string): SwitchboardError {
  return new SwitchboardError('bad_request', `engine URL: ${message}`);
}

function integer(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max)
    throw bad(`"${name}" must be a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

/** Switchboard's own parameters, the same for every scheme. */
function queryOptions(params: URLSearchParams): QueryOptions {
  let prefix: string = REDIS_DEFAULTS.prefix;
  let timeoutMs: number = REDIS_DEFAULTS.timeoutMs;
  let sharded: RedisEngineOptions['sharded'] = REDIS_DEFAULTS.sharded;
  let reconnectMaxMs: number = REDIS_DEFAULTS.reconnectMaxMs;
  let waitReplicas: number = REDIS_DEFAULTS.waitReplicas;
  for (const [name, value] of params) {
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
      case 'waitReplicas':
        waitReplicas = integer(name, value, 0, 100);
        break;
      case 'sharded':
        if (value !== 'auto' && value !== 'yes' && value !== 'no')
          throw bad('"sharded" must be auto, yes or no');
        sharded = value;
        break;
      default:
        throw bad(
          `unknown parameter "${name}" (known: prefix, timeout, sharded, reconnectMax, waitReplicas)`,
        );
    }
  }
  return { prefix, timeoutMs, sharded, reconnectMaxMs, waitReplicas };
}

/** `host[:port]` or `[v6]:port`, as listed in a Sentinel or Cluster URL. */
function listedNode(text: string, what: string, defaultPort: number): RedisNode {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text);
  if (m === null) throw bad(`"${text}" is not a ${what} host[:port]`);
  const host = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  const port = m[2] === undefined ? defaultPort : integer(`${what} port`, m[2], 1, 65_535);
  return { host, port };
}

/** `[user:password@]host[:port][,host[:port]…]`: the listed nodes and the credentials for the data nodes. */
function listAuthority(
  authority: string,
  what: string,
  defaultPort: number,
): { nodes: RedisNode[]; username?: string; password?: string } {
  const at = authority.lastIndexOf('@');
  const credentials = at < 0 ? '' : authority.slice(0, at);
  const hosts = at < 0 ? authority : authority.slice(at + 1);
  if (hosts === '') throw bad(`the URL lists at least one ${what} host`);
  const nodes = hosts.split(',').map((h) => listedNode(h, what, defaultPort));
  const colon = credentials.indexOf(':');
  const username = decodeURIComponent(colon < 0 ? credentials : credentials.slice(0, colon));
  const password = colon < 0 ? '' : decodeURIComponent(credentials.slice(colon + 1));
  return {
    nodes,
    ...(username === '' ? {} : { username }),
    ...(password === '' ? {} : { password }),
  };
}

/** Splits `scheme://authority/path?query` by hand (a list of hosts is not an authority `URL` accepts). */
function split(
  input: string,
  scheme: string,
): { authority: string; path: string | undefined; query: string } {
  const rest = input.slice(scheme.length);
  const q = rest.indexOf('?');
  const [main, query] = q < 0 ? [rest, ''] : [rest.slice(0, q), rest.slice(q + 1)];
  const slash = main.indexOf('/');
  return slash < 0
    ? { authority: main, path: undefined, query }
    : { authority: main.slice(0, slash), path: main.slice(slash + 1), query };
}

/** `redis+cluster://[user:password@]host1[:6379][,host2[:6379]…][/][?options]`: seed nodes of a Redis Cluster. */
function parseClusterUrl(input: string): RedisEngineOptions {
  const { authority, path, query } = split(input, CLUSTER_SCHEME);
  if (path !== undefined && path !== '')
    throw bad('a Cluster URL has no path (Redis Cluster has database 0 only)');
  const { nodes, ...credentials } = listAuthority(authority, 'cluster node', 6379);
  const options = queryOptions(new URLSearchParams(query));
  if (options.sharded === 'no')
    throw bad('"sharded=no" is not supported with Redis Cluster: the engine uses sharded pub/sub there');
  return { url: input, cluster: { nodes, ...credentials }, ...options };
}

/**
 * `redis+sentinel://[user:password@]host1[:26379][,host2[:26379]…]/<master name>[/<db>][?options]`. Parsed by
 * hand: a list of hosts is not a URL authority `URL` accepts.
 */
function parseSentinelUrl(input: string): RedisEngineOptions {
  const parts = split(input, SENTINEL_SCHEME);
  if (parts.path === undefined)
    throw bad('a Sentinel URL needs the master name as its path (redis+sentinel://host:26379/mymaster)');
  const path = parts.path.split('/');
  const { nodes: sentinels, ...credentials } = listAuthority(parts.authority, 'sentinel', SENTINEL_PORT);
  const query = parts.query;
  const master = decodeURIComponent(path[0] ?? '');
  if (!MASTER_NAME.test(master)) throw bad('the master name must be 1 to 128 of A-Z a-z 0-9 _ . -');
  if (path.length > 2) throw bad('a Sentinel URL path is /<master name> or /<master name>/<db>');
  const database = path[1] === undefined || path[1] === '' ? 0 : integer('db', path[1], 0, 15);
  const target: SentinelTarget = { master, sentinels, database, ...credentials };
  return { url: input, sentinel: target, ...queryOptions(new URLSearchParams(query)) };
}

/**
 * Parses `redis://[user:password@]host:port[/db]?prefix=sb&timeout=2000&sharded=auto&reconnectMax=1000&waitReplicas=0`, or the
 * Sentinel and Cluster forms above. Unknown parameters and bad values are refused with a `bad_request` error that never
 * echoes the password.
 */
export function parseRedisUrl(input: string): RedisEngineOptions {
  if (input.startsWith(SENTINEL_SCHEME)) return parseSentinelUrl(input);
  if (input.startsWith(CLUSTER_SCHEME)) return parseClusterUrl(input);
  if (input.startsWith('rediss+sentinel:') || input.startsWith('redis-sentinel:'))
    throw bad('Sentinel URLs are redis+sentinel://host:26379[,host:26379]/<master name> (no TLS)');
  if (!URL.canParse(input)) throw bad('not a URL');
  const url = new URL(input);
  if (!SCHEMES.includes(url.protocol))
    throw bad(`expected redis://, rediss://, redis+sentinel:// or redis+cluster://, got "${url.protocol}//"`);
  const options = queryOptions(url.searchParams);
  url.search = '';
  return { url: url.toString(), ...options };
}
