import { parseDuration, SwitchboardError } from '@switchboard/engine-kit';

/** Everything the NATS engine reads from its URL, validated, with every default filled in. */
export interface NatsEngineConfig {
  /** `host:port` of every server to try, the URL's own first. */
  readonly servers: readonly string[];
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** Prefix of every subject, stream and bucket name, so several hubs can share one NATS account. */
  readonly prefix: string;
  /** Longest any engine call may take before it fails with `unavailable`, in ms. */
  readonly timeoutMs: number;
  /** Longest the first connection may take at start-up, in ms. */
  readonly connectTimeoutMs: number;
  /** Pause between reconnect attempts, in ms. */
  readonly reconnectWaitMs: number;
  /** The history stream's `max_age`: no publication (and no channel's epoch) outlives it, in ms. */
  readonly maxAgeMs: number;
  /** The history stream's `max_msgs_per_subject`: no channel keeps more, whatever its history size. */
  readonly maxHistory: number;
  readonly storage: 'file' | 'memory';
  readonly replicas: number;
  /** The presence bucket's `max_age`: entries are physically removed this long after their last refresh, in ms. */
  readonly presenceMaxAgeMs: number;
  /** The idempotency bucket's `max_age`: no idempotency key is remembered longer, in ms. */
  readonly idempotencyMaxAgeMs: number;
}

/** The defaults, each documented in packages/engine-nats/README.md. */
export const NATS_DEFAULTS = {
  prefix: 'switchboard',
  timeoutMs: 2_000,
  connectTimeoutMs: 5_000,
  reconnectWaitMs: 500,
  maxAgeMs: 24 * 60 * 60_000,
  maxHistory: 10_000,
  storage: 'file',
  replicas: 1,
  presenceMaxAgeMs: 5 * 60_000,
  idempotencyMaxAgeMs: 60 * 60_000,
} as const;

type Parser = (value: string) => number | string | readonly string[];

const durationIn =
  (min: number, max: number): Parser =>
  (value) => {
    const parsed = parseDuration(value);
    if (!parsed.ok) throw new Error(parsed.reason);
    if (parsed.value < min || parsed.value > max) throw new Error(`must be between ${min}ms and ${max}ms`);
    return parsed.value;
  };

const integerIn =
  (min: number, max: number): Parser =>
  (value) => {
    if (!/^\d+$/.test(value)) throw new Error('must be a whole number');
    const n = Number(value);
    if (n < min || n > max) throw new Error(`must be between ${min} and ${max}`);
    return n;
  };

const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/;

/** Each URL query option: its config field and how its text is checked. */
const OPTIONS: Record<string, { field: keyof NatsEngineConfig; parse: Parser }> = {
  prefix: {
    field: 'prefix',
    parse: (v) => {
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(v)) throw new Error('must be 1 to 32 of [A-Za-z0-9_-]');
      return v;
    },
  },
  timeout: { field: 'timeoutMs', parse: durationIn(50, 60_000) },
  connectTimeout: { field: 'connectTimeoutMs', parse: durationIn(100, 300_000) },
  reconnectWait: { field: 'reconnectWaitMs', parse: durationIn(10, 60_000) },
  maxAge: { field: 'maxAgeMs', parse: durationIn(1_000, 365 * 86_400_000) },
  maxHistory: { field: 'maxHistory', parse: integerIn(1, 1_000_000) },
  storage: {
    field: 'storage',
    parse: (v) => {
      if (v !== 'file' && v !== 'memory') throw new Error('must be "file" or "memory"');
      return v;
    },
  },
  replicas: { field: 'replicas', parse: integerIn(1, 5) },
  presenceMaxAge: { field: 'presenceMaxAgeMs', parse: durationIn(60_000, 86_400_000) },
  idempotencyMaxAge: { field: 'idempotencyMaxAgeMs', parse: durationIn(1_000, 30 * 86_400_000) },
  servers: {
    field: 'servers',
    parse: (v) => {
      const list = v.split(',').filter((s) => s !== '');
      for (const s of list) if (!HOST_PORT.test(s)) throw new Error(`"${s}" is not host:port`);
      return list;
    },
  },
};

function refuse(message: string): never {
  throw new SwitchboardError('bad_request', `nats engine URL: ${message}`);
}

/**
 * Reads `nats://[user[:pass]@]host[:port][?option=value&...]`. A user without a password is a token. Unknown,
 * repeated or malformed options are refused with one clear message naming the option (the password is never in
 * it), so `switchboard serve` stops at start-up instead of running with something the operator did not mean.
 */
export function parseNatsUrl(url: string): NatsEngineConfig {
  if (!URL.canParse(url)) refuse('not a URL');
  const u = new URL(url);
  if (u.protocol !== 'nats:') refuse(`expected nats://, got ${u.protocol}//`);
  if (u.hostname === '') refuse('no host');
  if (u.pathname !== '' && u.pathname !== '/')
    refuse('a path is not supported; options go in the query string');
  const config: Record<string, unknown> = { ...NATS_DEFAULTS };
  const seen = new Set<string>();
  for (const [name, value] of u.searchParams) {
    const option = OPTIONS[name];
    if (option === undefined) refuse(`unknown option "${name}"; known: ${Object.keys(OPTIONS).join(', ')}`);
    if (seen.has(name)) refuse(`option "${name}" is given twice`);
    seen.add(name);
    try {
      config[option.field] = option.parse(value);
    } catch (err) {
      refuse(`option "${name}" ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const first = `${u.hostname}:${u.port === '' ? '4222' : u.port}`;
  const extra = (config.servers as readonly string[] | undefined) ?? [];
  config.servers = [first, ...extra.filter((s) => s !== first)];
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  if (user !== '' && pass !== '') Object.assign(config, { user, pass });
  else if (user !== '') config.token = user;
  return config as unknown as NatsEngineConfig;
}
