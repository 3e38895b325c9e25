// Combinations of values that cannot work together. Each rule names the `Config` paths it reads, so a rule is
// skipped when one of them was itself invalid (its message would only repeat that mistake).
import { loadKey } from '../auth/keys.ts';
import type { Config } from './types.ts';

/** Renders the option at a `Config` path for a message: raw name, value, and (when loading) where it came from. */
export type Describe = (config: Config, path: string) => string;

export interface Rule {
  /** The `Config` paths the rule reads; the first is the one the message is about. */
  readonly paths: readonly string[];
  /** A message when the combination is impossible, else null. */
  check(config: Config, d: Describe): string | null;
}

export const RULES: readonly Rule[] = [
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
    paths: ['channel.joinLeave', 'channel.presence'],
    check: (c, d) =>
      c.channel.joinLeave && !c.channel.presence
        ? `${d(c, 'channel.joinLeave')} needs ${d(c, 'channel.presence')} to be true: join and leave frames come from presence tracking`
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
    paths: ['limits.maxFrameBytes', 'limits.maxMessageBytes', 'channel.clientPublish'],
    check: (c, d) =>
      c.channel.clientPublish && c.limits.maxFrameBytes < c.limits.maxMessageBytes
        ? `${d(c, 'limits.maxFrameBytes')} must be at least ${d(c, 'limits.maxMessageBytes')} when ${d(c, 'channel.clientPublish')}: a client publish carries the message in one frame`
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
    paths: ['server.headersTimeoutMs', 'server.requestTimeoutMs'],
    check: (c, d) =>
      c.server.headersTimeoutMs > c.server.requestTimeoutMs
        ? `${d(c, 'server.headersTimeoutMs')} must not exceed ${d(c, 'server.requestTimeoutMs')}: the headers are part of the request (Node.js refuses it)`
        : null,
  },
  {
    paths: ['channel.history.metaTtlMs', 'channel.history.ttlMs'],
    check: (c, d) =>
      c.channel.history.metaTtlMs < c.channel.history.ttlMs
        ? `${d(c, 'channel.history.metaTtlMs')} must be at least ${d(c, 'channel.history.ttlMs')}: a channel's position (epoch, offset) must outlive its publications, or a resume could be misjudged`
        : null,
  },
];
