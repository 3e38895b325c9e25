// Namespaces: a map from name to channel options, each a partial copy of the `channel` section (the default
// namespace). This file holds what is particular to the map: its schema around the per-namespace one (built from
// the `channel` part of SPEC, so a namespace takes exactly the options `channel` takes), the resolution of one
// namespace over the default, and the combinations every namespace must respect.
import * as z from 'zod';
import { show } from './leaves.ts';
import type { ChannelConfig, Config, NamespaceMap, NamespaceOverrides } from './types.ts';

/** A namespace name: channel characters except `:` (which ends it), 1 to 64 of them. */
export const NAMESPACE_NAME = /^[A-Za-z0-9_\-.@#=/,]{1,64}$/;

/** The namespace of a channel: the part before its first `:`, or `''` (the default namespace) when it has none. */
export function namespaceOf(channel: string): string {
  const i = channel.indexOf(':');
  return i <= 0 ? '' : channel.slice(0, i);
}

/**
 * The `namespaces` option. A config file gives an object; the environment (`SWITCHBOARD_NAMESPACES`) gives the
 * same object as JSON text. Each value is validated by `perNamespace` (strict: an unknown option is an error).
 */
export function namespacesSchema(
  perNamespace: z.ZodType<unknown, unknown>,
): z.ZodType<NamespaceMap, unknown> {
  const key = z.string().regex(NAMESPACE_NAME, {
    message: 'a namespace name is 1 to 64 characters from [A-Za-z0-9_-.@#=/,] (no ":")',
  });
  return z.preprocess(
    (input, ctx) => {
      if (typeof input !== 'string') return input;
      try {
        return JSON.parse(input) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `expected a JSON object of namespaces, got ${show(input)}` });
        return z.NEVER;
      }
    },
    z.record(key, perNamespace),
  ) as z.ZodType<NamespaceMap, unknown>;
}

/** One namespace's options over the default namespace's: what a channel of that namespace does. */
export function resolveNamespace(base: ChannelConfig, over: NamespaceOverrides | undefined): ChannelConfig {
  if (over === undefined) return base;
  return {
    ...base,
    ...over,
    history: { ...base.history, ...over.history },
    delivery: { ...base.delivery, ...over.delivery },
    proxy: { ...base.proxy, ...over.proxy },
  } as ChannelConfig;
}

/** The options of a channel namespace, by `Config` path relative to `channel` (`delivery.maxRate`). */
export type ChannelPath =
  | 'history.size'
  | 'history.ttlMs'
  | 'history.metaTtlMs'
  | 'presence'
  | 'joinLeave'
  | 'clientPublish'
  | 'maxMessageBytes'
  | 'lastValue'
  | 'delivery.policy'
  | 'delivery.conflateKey'
  | 'delivery.maxRate';

/**
 * A combination that cannot work inside one namespace. `n` names an option of the namespace with its value,
 * `g` a hub-wide option (`limits.*`) with its value; both write what the message shows.
 */
export interface ChannelRule {
  readonly paths: readonly ChannelPath[];
  /** Hub-wide `Config` paths the rule also reads. */
  readonly global?: readonly string[];
  check(
    o: ChannelConfig,
    c: Config,
    n: (p: ChannelPath) => string,
    g: (path: string) => string,
  ): string | null;
}

export const CHANNEL_RULES: readonly ChannelRule[] = [
  {
    paths: ['joinLeave', 'presence'],
    check: (o, _c, n) =>
      o.joinLeave && !o.presence
        ? `${n('joinLeave')} needs ${n('presence')} to be true: join and leave frames come from presence tracking`
        : null,
  },
  {
    paths: ['history.metaTtlMs', 'history.ttlMs'],
    check: (o, _c, n) =>
      o.history.metaTtlMs < o.history.ttlMs
        ? `${n('history.metaTtlMs')} must be at least ${n('history.ttlMs')}: a channel's position (epoch, offset) must outlive its publications, or a resume could be misjudged`
        : null,
  },
  {
    paths: ['delivery.maxRate', 'delivery.policy'],
    check: (o, _c, n) =>
      o.delivery.maxRate > 0 && o.delivery.policy === 'all'
        ? `${n('delivery.maxRate')} needs ${n('delivery.policy')} to be "latest" or "drop-oldest": a rate cap must leave publications out, which "all" never does`
        : null,
  },
  {
    paths: ['delivery.conflateKey', 'delivery.policy'],
    check: (o, _c, n) =>
      o.delivery.conflateKey !== '' && o.delivery.policy !== 'latest'
        ? `${n('delivery.conflateKey')} needs ${n('delivery.policy')} to be "latest": only conflation keeps a latest value per key`
        : null,
  },
  {
    paths: ['lastValue', 'history.size'],
    check: (o, _c, n) =>
      o.lastValue && o.history.size === 0
        ? `${n('lastValue')} needs ${n('history.size')} to be at least 1: the last value is read from history`
        : null,
  },
  {
    paths: ['maxMessageBytes'],
    global: ['limits.maxMessageBytes'],
    check: (o, c, n, g) =>
      o.maxMessageBytes > c.limits.maxMessageBytes
        ? `${n('maxMessageBytes')} must not exceed ${g('limits.maxMessageBytes')}: the hub-wide limit bounds every namespace (and the buffers sized by it)`
        : null,
  },
  {
    paths: ['clientPublish', 'maxMessageBytes'],
    global: ['limits.maxFrameBytes', 'limits.maxMessageBytes'],
    check: (o, c, n, g) => {
      const max = o.maxMessageBytes > 0 ? o.maxMessageBytes : c.limits.maxMessageBytes;
      if (!o.clientPublish || c.limits.maxFrameBytes >= max) return null;
      const which = o.maxMessageBytes > 0 ? n('maxMessageBytes') : g('limits.maxMessageBytes');
      return `${g('limits.maxFrameBytes')} must be at least ${which} when ${n('clientPublish')}: a client publish carries the message in one frame`;
    },
  },
];
