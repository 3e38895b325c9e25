// Combinations of values that cannot work together. Each rule names the `Config` paths it reads, so a rule is
// skipped when one of them was itself invalid (its message would only repeat that mistake).

import { formatDuration, formatSize } from '@switchboard/engine-kit';
import { loadKey } from '../auth/keys.ts';
import { CHANNEL_RULES, type ChannelPath, resolveNamespace } from './namespaces.ts';
import type { ChannelConfig, Config } from './types.ts';

/** Renders the option at a `Config` path for a message: raw name, value, and (when loading) where it came from. */
export type Describe = (config: Config, path: string) => string;

export interface Rule {
  /** The `Config` paths the rule reads; the first is the one the message is about. */
  readonly paths: readonly string[];
  /** A message (or one per namespace at fault) when the combination is impossible, else null. */
  check(config: Config, d: Describe): string | readonly string[] | null;
}

// The raw names of the namespace options whose `Config` names carry a unit.
const RAW_CHANNEL: Partial<Record<ChannelPath, string>> = {
  'history.ttlMs': 'history.ttl',
  'history.metaTtlMs': 'history.metaTtl',
  maxMessageBytes: 'maxMessageSize',
};

function channelValue(o: ChannelConfig, p: ChannelPath): string {
  const v = p.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown>)[k], o);
  if (p === 'history.ttlMs' || p === 'history.metaTtlMs') return formatDuration(v as number);
  if (p === 'maxMessageBytes') return formatSize(v as number);
  return JSON.stringify(v);
}

/** A namespace option for a message: `namespaces.chat.presence (false, from channel.presence)` when inherited. */
function namespaceName(c: Config, ns: string, o: ChannelConfig, p: ChannelPath): string {
  const raw = RAW_CHANNEL[p] ?? p;
  const own = p
    .split('.')
    .reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], c.namespaces[ns]);
  const value = channelValue(o, p);
  return own === undefined
    ? `namespaces.${ns}.${raw} (${value}, from channel.${raw})`
    : `namespaces.${ns}.${raw} (${value})`;
}

export const RULES: readonly Rule[] = [
  // The default namespace: the `channel` section, with each option's origin in the message.
  ...CHANNEL_RULES.map(
    (r): Rule => ({
      paths: [...r.paths.map((p) => `channel.${p}`), ...(r.global ?? [])],
      check: (c, d) =>
        r.check(
          c.channel,
          c,
          (p) => d(c, `channel.${p}`),
          (path) => d(c, path),
        ),
    }),
  ),
  // Every named namespace, resolved over the default one, against the same combinations.
  {
    paths: [
      'namespaces',
      ...new Set(CHANNEL_RULES.flatMap((r) => [...r.paths.map((p) => `channel.${p}`), ...(r.global ?? [])])),
    ],
    check: (c, d) => {
      const out: string[] = [];
      for (const [ns, over] of Object.entries(c.namespaces)) {
        const o = resolveNamespace(c.channel, over);
        for (const r of CHANNEL_RULES) {
          const m = r.check(
            o,
            c,
            (p) => namespaceName(c, ns, o, p),
            (path) => d(c, path),
          );
          if (m !== null) out.push(m);
        }
      }
      return out.length === 0 ? null : out;
    },
  },
  {
    paths: ['auth.secret', 'auth.publicKey', 'auth.jwksUrl', 'auth.algorithms'],
    check: (c) => {
      const r = loadKey({ ...c.auth, jwksCooldownMs: 0 });
      return r.ok ? null : r.message;
    },
  },
  {
    paths: ['api.publishKeys', 'api.keys'],
    check: (c, d) =>
      c.api.publishKeys.some((k) => c.api.keys.includes(k))
        ? `${d(c, 'api.publishKeys')}: a key cannot be both a publish key and a full-control key in ${d(c, 'api.keys')}`
        : null,
  },
  {
    paths: ['admin.keys', 'api.keys', 'api.publishKeys'],
    check: (c, d) =>
      c.admin.keys.some((k) => c.api.keys.includes(k) || c.api.publishKeys.includes(k))
        ? `${d(c, 'admin.keys')}: an admin key cannot also be an app backend's key in ${d(c, 'api.keys')} or ${d(c, 'api.publishKeys')}`
        : null,
  },
  {
    paths: ['metrics.port', 'server.port'],
    check: (c, d) =>
      c.metrics.port !== 0 && c.metrics.port === c.server.port
        ? `${d(c, 'metrics.port')} must differ from ${d(c, 'server.port')}: it is a second listener`
        : null,
  },
  {
    paths: ['limits.maxOutgoingBytes', 'limits.maxMessageBytes'],
    check: (c, d) =>
      c.limits.maxOutgoingBytes < c.limits.maxMessageBytes
        ? `${d(c, 'limits.maxOutgoingBytes')} must be at least ${d(c, 'limits.maxMessageBytes')}: a connection must be able to queue one whole message`
        : null,
  },
  {
    paths: ['api.maxBodyBytes', 'limits.maxMessageBytes'],
    check: (c, d) =>
      c.api.maxBodyBytes < c.limits.maxMessageBytes
        ? `${d(c, 'api.maxBodyBytes')} must be at least ${d(c, 'limits.maxMessageBytes')}: an HTTP publish carries the message in its body`
        : null,
  },
  {
    paths: ['heartbeat.timeoutMs', 'heartbeat.intervalMs'],
    check: (c, d) =>
      c.heartbeat.timeoutMs >= c.heartbeat.intervalMs
        ? `${d(c, 'heartbeat.timeoutMs')} must be less than ${d(c, 'heartbeat.intervalMs')}: every ping restarts the wait, so a silent peer would never be dropped`
        : null,
  },
  {
    paths: ['pusher.appId', 'pusher.appKey', 'pusher.appSecret', 'pusher.appWebhookUrl'],
    check: (c, d) => {
      const { appId, appKey, appSecret } = c.pusher;
      const set = [appId, appKey, appSecret].filter((v) => v !== '').length;
      if (set !== 0 && set !== 3)
        return `${d(c, 'pusher.appId')}, ${d(c, 'pusher.appKey')} and ${d(c, 'pusher.appSecret')} are set together or not at all`;
      if (set === 0 && c.pusher.appWebhookUrl !== '')
        return `${d(c, 'pusher.appWebhookUrl')} needs ${d(c, 'pusher.appId')}: it is that app's`;
      if (set === 3 && c.pusher.apps.some((a) => a.id === appId || a.key === appKey))
        return `${d(c, 'pusher.appId')}: the app's id or key is also in pusher.apps`;
      return null;
    },
  },
  {
    paths: ['server.tls.cert', 'server.tls.key'],
    check: (c, d) =>
      (c.server.tls.cert === '') !== (c.server.tls.key === '')
        ? `${d(c, 'server.tls.cert')} and ${d(c, 'server.tls.key')} are set together or not at all`
        : null,
  },
  {
    paths: ['webhooks.secret', 'webhooks.url'],
    check: (c, d) =>
      c.webhooks.url !== '' && c.webhooks.secret.length < 32
        ? `${d(c, 'webhooks.secret')} must be at least 32 characters when ${d(c, 'webhooks.url')} is set: it signs every request`
        : null,
  },
  {
    paths: ['server.headersTimeoutMs', 'server.requestTimeoutMs'],
    check: (c, d) =>
      c.server.headersTimeoutMs > c.server.requestTimeoutMs
        ? `${d(c, 'server.headersTimeoutMs')} must not exceed ${d(c, 'server.requestTimeoutMs')}: the headers are part of the request (Node.js refuses it)`
        : null,
  },
];
