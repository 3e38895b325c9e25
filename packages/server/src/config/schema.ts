// The raw configuration: what a config file, the environment and the command line may say, and how each raw
// option maps onto the resolved `Config`. SPEC is keyed by `Config`'s own keys, so the compiler checks that every
// field of `Config` has exactly one raw option of the right type; the zod schema and the FIELDS list (environment
// variable names, flags, docs) are derived from it.

import { formatDuration, formatSize } from '@switchboard/engine-kit';
import * as z from 'zod';
import { KNOWN_ALGORITHMS } from '../auth/keys.ts';
import { originEntryError } from '../auth/origins.ts';
import { patternError } from '../auth/patterns.ts';
import { DEFAULTS } from './defaults.ts';
import {
  apiKeys,
  boolean,
  cookieName,
  duration,
  engineUrl,
  fieldName,
  host,
  httpUrl,
  integer,
  type Leaf,
  list,
  oneOf,
  pusherApps,
  pusherField,
  secretText,
  size,
  text,
} from './leaves.ts';
import { namespacesSchema } from './namespaces.ts';
import { forwardableHeaderError } from './proxy-headers.ts';
import { type Describe, RULES } from './rules.ts';
import {
  type ChannelConfig,
  type Config,
  DELIVERY_POLICIES,
  type NamespaceMap,
  WEBHOOK_EVENTS,
  type WebhookEventName,
} from './types.ts';

/** How a leaf's value is written back for people (messages, `check-config`, docs). */
export type Kind = 'duration' | 'size' | 'secret' | 'url' | 'plain';

/** One raw option: its raw key (the `Config` key without the `Ms`/`Bytes` unit), its schema, its flag. */
export class Field<T> {
  readonly raw: string;
  readonly schema: Leaf<T>;
  readonly kind: Kind;
  /** The `switchboard serve` flag that sets it, if any. */
  readonly flag: string | undefined;
  constructor(raw: string, schema: Leaf<T>, kind: Kind = 'plain', flag?: string) {
    this.raw = raw;
    this.schema = schema;
    this.kind = kind;
    this.flag = flag;
  }
}

// The namespace map is one option (one environment variable of JSON), not a section of fixed keys.
type LeafValue = string | number | boolean | readonly unknown[] | NamespaceMap;
export type Spec<T> = { readonly [K in keyof T]-?: T[K] extends LeafValue ? Field<T[K]> : Spec<T[K]> };

const f = <T>(raw: string, schema: Leaf<T>, kind?: Kind, flag?: string): Field<T> =>
  new Field(raw, schema, kind, flag);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The default namespace's options; every namespace takes the same ones (`namespaces.<name>.…`). */
const CHANNEL_SPEC: Spec<ChannelConfig> = {
  history: {
    size: f('size', integer(0), 'plain', '--history-size'),
    ttlMs: f('ttl', duration(1), 'duration'),
    metaTtlMs: f('metaTtl', duration(1), 'duration'),
  },
  presence: f('presence', boolean, 'plain', '--presence'),
  joinLeave: f('joinLeave', boolean),
  clientPublish: f('clientPublish', boolean, 'plain', '--allow-client-publish'),
  echo: f('echo', boolean),
  anonymous: f('anonymous', boolean),
  maxSubscribers: f('maxSubscribers', integer(0)),
  maxMessageBytes: f('maxMessageSize', size(0), 'size'),
  lastValue: f('lastValue', boolean),
  delivery: {
    policy: f('policy', oneOf(DELIVERY_POLICIES)),
    conflateKey: f('conflateKey', fieldName),
    queueSize: f('queueSize', integer(1, 100_000)),
    maxRate: f('maxRate', integer(0, 10_000)),
  },
  proxy: {
    subscribe: f('subscribe', httpUrl, 'url'),
    publish: f('publish', httpUrl, 'url'),
    rpc: f('rpc', httpUrl, 'url'),
  },
};

export const SPEC: Spec<Config> = {
  server: {
    host: f('host', host, 'plain', '--host'),
    port: f('port', integer(0, 65_535), 'plain', '--port'),
    maxConnections: f('maxConnections', integer(1), 'plain', '--max-connections'),
    headersTimeoutMs: f('headersTimeout', duration(1), 'duration'),
    requestTimeoutMs: f('requestTimeout', duration(1), 'duration'),
    shutdownTimeoutMs: f('shutdownTimeout', duration(0), 'duration'),
    inspector: f('inspector', boolean, 'plain', '--no-inspector'),
    allowedOrigins: f('allowedOrigins', list('origins', originEntryError), 'plain', '--allowed-origin'),
    perMessageDeflate: f('perMessageDeflate', boolean),
    compactFrames: f('compactFrames', boolean),
    tls: {
      cert: f('cert', text(4096), 'plain', '--tls-cert'),
      key: f('key', text(4096), 'plain', '--tls-key'),
    },
    http2: { maxConcurrentStreams: f('maxConcurrentStreams', integer(100, 10_000)) },
  },
  api: {
    keys: f('keys', apiKeys, 'secret', '--api-key'),
    publishKeys: f('publishKeys', apiKeys, 'secret'),
    maxBodyBytes: f('maxBodySize', size(1), 'size'),
  },
  auth: {
    secret: f('secret', secretText, 'secret'),
    publicKey: f('publicKey', secretText, 'secret'),
    jwksUrl: f('jwksUrl', httpUrl, 'url'),
    jwksCooldownMs: f('jwksCooldown', duration(0), 'duration'),
    algorithms: f(
      'algorithms',
      list('algorithms', (a) =>
        KNOWN_ALGORITHMS.includes(a) ? null : `expected one of ${KNOWN_ALGORITHMS.join(', ')}`,
      ),
    ),
    audience: f('audience', text(1024)),
    issuer: f('issuer', text(1024)),
    leewayMs: f('leeway', duration(0), 'duration'),
    anonymous: f('anonymous', boolean),
    connectTimeoutMs: f('connectTimeout', duration(1), 'duration'),
    cookie: f('cookie', cookieName),
    subscriptionTokenChannels: f('subscriptionTokenChannels', list('channel patterns', patternError)),
    ticketTtlMs: f('ticketTtl', duration(1), 'duration'),
  },
  engine: { url: f('url', engineUrl, 'url', '--engine') },
  limits: {
    maxMessageBytes: f('maxMessageSize', size(1), 'size'),
    maxFrameBytes: f('maxFrameSize', size(1024), 'size'),
    maxChannelsPerConnection: f('maxChannelsPerConnection', integer(1)),
    maxChannelLength: f('maxChannelLength', integer(1)),
    maxOutgoingBytes: f('maxOutgoingSize', size(1), 'size'),
    maxOutgoingMs: f('maxOutgoingTime', duration(1), 'duration'),
    maxTotalOutgoingBytes: f('maxTotalOutgoingSize', size(0), 'size'),
    maxHistoryLimit: f('maxHistoryLimit', integer(1)),
    connectionRate: f('connectionRate', integer(0)),
    commandRate: f('commandRate', integer(0)),
    errorRate: f('errorRate', integer(0)),
    maxJsonDepth: f('maxJsonDepth', integer(1)),
    historyReadRate: f('historyReadRate', size(0), 'size'),
    anonymousHistoryReadRate: f('anonymousHistoryReadRate', size(0), 'size'),
    publishRate: f('publishRate', integer(0)),
    apiRate: f('apiRate', integer(0)),
  },
  channel: CHANNEL_SPEC,
  namespaces: f('namespaces', namespacesSchema(build(CHANNEL_SPEC as unknown as Node))),
  heartbeat: {
    // A number here is milliseconds; 100ms at least, so `"interval": 25` (meant as seconds) cannot flood.
    intervalMs: f('interval', duration(100), 'duration'),
    timeoutMs: f('timeout', duration(1), 'duration'),
  },
  sse: { retryMs: f('retry', duration(0), 'duration') },
  idempotency: { ttlMs: f('ttl', duration(1), 'duration') },
  pusher: {
    appId: f('appId', pusherField),
    appKey: f('appKey', pusherField),
    appSecret: f('appSecret', secretText, 'secret'),
    appWebhookUrl: f('appWebhookUrl', httpUrl, 'url'),
    apps: f('apps', pusherApps, 'secret'),
    clientEventRate: f('clientEventRate', integer(0)),
    maxPresenceMembers: f('maxPresenceMembers', integer(1, 10_000)),
  },
  admin: { keys: f('keys', apiKeys, 'secret') },
  metrics: {
    token: f('token', secretText, 'secret'),
    port: f('port', integer(0, 65_535)),
    host: f('host', host),
  },
  proxy: {
    connect: f('connect', httpUrl, 'url'),
    refresh: f('refresh', httpUrl, 'url'),
    timeoutMs: f('timeout', duration(1), 'duration'),
    maxConcurrency: f('maxConcurrency', integer(1, 100_000)),
    headers: f('headers', list('header names', forwardableHeaderError)),
    breakerFailures: f('breakerFailures', integer(1)),
    breakerCooldownMs: f('breakerCooldown', duration(1), 'duration'),
  },
  webhooks: {
    url: f('url', httpUrl, 'url', '--webhooks-url'),
    secret: f('secret', secretText, 'secret'),
    events: f(
      'events',
      list('webhook events', (e) =>
        (WEBHOOK_EVENTS as readonly string[]).includes(e)
          ? null
          : `expected one of ${WEBHOOK_EVENTS.join(', ')}`,
      ) as Leaf<readonly WebhookEventName[]>,
    ),
    batchSize: f('batchSize', integer(1, 1_000)),
    maxQueue: f('maxQueue', integer(1, 1_000_000)),
    maxAttempts: f('maxAttempts', integer(1, 100)),
    timeoutMs: f('timeout', duration(1), 'duration'),
  },
  log: { level: f('level', oneOf(LOG_LEVELS), 'plain', '--log-level') },
  strictEnv: f('strictEnv', boolean, 'plain', '--strict-env'),
};

/** One leaf of the raw tree, flattened: `raw` and `path` are dotted (`limits.maxMessageSize` → `limits.maxMessageBytes`). */
export interface FieldInfo {
  readonly raw: string;
  readonly path: string;
  /** `SWITCHBOARD_` + the raw path in SCREAMING_SNAKE_CASE. */
  readonly env: string;
  readonly field: Field<unknown>;
}

/** `limits.maxMessageSize` → `SWITCHBOARD_LIMITS_MAX_MESSAGE_SIZE`. */
export function envName(rawPath: string): string {
  return `SWITCHBOARD_${rawPath
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/\./g, '_')
    .toUpperCase()}`;
}

type Node = Field<unknown> | { readonly [key: string]: Node };

function entries(node: Node): [string, Node][] {
  return Object.entries(node as Record<string, Node>);
}

function flatten(node: Node, raw: string[], path: string[], out: FieldInfo[]): FieldInfo[] {
  for (const [key, child] of entries(node)) {
    if (child instanceof Field) {
      const r = [...raw, child.raw].join('.');
      out.push({ raw: r, path: [...path, key].join('.'), env: envName(r), field: child });
    } else flatten(child, [...raw, key], [...path, key], out);
  }
  return out;
}

/** Every raw option, in SPEC order. */
export const FIELDS: readonly FieldInfo[] = flatten(SPEC as unknown as Node, [], [], []);
export const FIELD_BY_RAW: ReadonlyMap<string, FieldInfo> = new Map(FIELDS.map((i) => [i.raw, i]));
export const FIELD_BY_PATH: ReadonlyMap<string, FieldInfo> = new Map(FIELDS.map((i) => [i.path, i]));

/** The raw keys allowed at a dotted raw object path (`''` for the top), for "did you mean" suggestions. */
export function rawKeysAt(rawPath: readonly PropertyKey[]): string[] {
  // Inside `namespaces.<name>` the keys are those of the default namespace.
  const inNamespace = rawPath[0] === 'namespaces' && rawPath.length >= 2;
  let node: Node = (inNamespace ? CHANNEL_SPEC : SPEC) as unknown as Node;
  for (const seg of inNamespace ? rawPath.slice(2) : rawPath) {
    const next: Node | undefined =
      node instanceof Field ? undefined : entries(node).find(([k]) => k === seg)?.[1];
    if (next === undefined) return [];
    node = next;
  }
  return node instanceof Field ? [] : entries(node).map(([k, c]) => (c instanceof Field ? c.raw : k));
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends LeafValue ? T[K] : DeepPartial<T[K]> };
/** What one source (file, environment, flags) contributes, already normalized to `Config` names and units. */
export type Layer = DeepPartial<Config>;

// Strict objects (a typo is an error), every key optional (each source says only part), renamed to Config keys.
function build(node: Node): z.ZodType<unknown, unknown> {
  const shape: Record<string, z.ZodType<unknown, unknown>> = {};
  const renames: [raw: string, key: string][] = [];
  for (const [key, child] of entries(node)) {
    const raw = child instanceof Field ? child.raw : key;
    shape[raw] = (child instanceof Field ? child.schema : build(child)).optional();
    renames.push([raw, key]);
  }
  return z.strictObject(shape).transform((input) => {
    const out: Record<string, unknown> = {};
    for (const [raw, key] of renames) if (input[raw] !== undefined) out[key] = input[raw];
    return out;
  });
}

/** Validates one source's raw input (any part of the tree) into a {@link Layer}. */
export const layerSchema = build(SPEC as unknown as Node) as z.ZodType<Layer, unknown>;

/** Lays `layers` over `base`, later ones winning; arrays are replaced, not appended. */
export function merge(base: Config, layers: readonly Layer[]): Config {
  const over = (a: unknown, b: unknown): unknown => {
    if (b === undefined) return a;
    if (typeof a !== 'object' || a === null || Array.isArray(a)) return b;
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = over(out[k], v);
    return out;
  };
  return layers.reduce<unknown>(over, base) as Config;
}

/** The value at a dotted `Config` path. */
export function valueAt(config: Config, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], config);
}

/** A value as a person would write it in a config file; secrets never appear. */
export function formatValue(kind: Kind, value: unknown): string {
  if (kind === 'duration' && typeof value === 'number') return formatDuration(value);
  if (kind === 'size' && typeof value === 'number') return formatSize(value);
  if (kind === 'secret')
    return Array.isArray(value) ? `${value.length} key(s)` : value === '' ? '""' : 'redacted';
  return JSON.stringify(value);
}

const plainDescribe: Describe = (config, path) => {
  const info = FIELD_BY_PATH.get(path)!;
  return `${info.raw} (${formatValue(info.field.kind, valueAt(config, path))})`;
};

/**
 * One raw input (a whole config, as one source) to a `Config`: defaults filled in, units normalized, and the
 * combinations of RULES checked. `loadConfig` does the same over several sources and says where each value came from.
 */
export const configSchema: z.ZodType<Config, unknown> = layerSchema.transform((layer, ctx) => {
  const config = merge(DEFAULTS, [layer]);
  for (const rule of RULES) {
    const found = rule.check(config, plainDescribe);
    const path = FIELD_BY_PATH.get(rule.paths[0]!)!.raw.split('.');
    for (const message of found === null ? [] : typeof found === 'string' ? [found] : found)
      ctx.addIssue({ code: 'custom', message, path });
  }
  return config;
});
