import { namespaceOf, resolveNamespace } from '../config/namespaces.ts';
import { type PusherKind, pusherAppsOf, pusherKindOf } from '../config/pusher-apps.ts';
import type { ChannelConfig, Config } from '../config/types.ts';

/** How a subscription is fed when its subscriber falls behind (see core/delivery), as the namespace set it. */
export interface DeliveryOptions extends Omit<ChannelConfig['delivery'], 'conflateKey' | 'maxRate'> {
  /** `latest` only: the top-level data field whose values conflate separately; null for one latest value. */
  readonly conflateKey: string | null;
  /** Most deliveries per second per subscriber; 0 for no cap (always 0 for `all`). */
  readonly maxRate: number;
}

/**
 * What a channel does: its namespace's `ChannelConfig` (config/types.ts documents each option), resolved once
 * against the default namespace and the hub-wide settings, so every part of the hub asks the same place.
 */
export interface ChannelOptions extends Omit<ChannelConfig, 'anonymous' | 'maxMessageBytes' | 'delivery'> {
  /** The namespace's name; `''` for the default namespace. */
  readonly namespace: string;
  /** Anonymous connections may subscribe: the namespace allows it and the hub lets them in at all. */
  readonly anonymous: boolean;
  /** Largest payload, in bytes: the namespace's own, else `limits.maxMessageBytes`. */
  readonly maxMessageBytes: number;
  readonly delivery: DeliveryOptions;
}

/** Whether any verification key is configured (without one, every connection is anonymous). */
export function authConfigured(config: Config): boolean {
  return config.auth.secret !== '' || config.auth.publicKey !== '' || config.auth.jwksUrl !== '';
}

/**
 * Whether anonymous connections are let in at all: always without auth; with auth, when `auth.anonymous` is on.
 * A namespace's `anonymous: false` then narrows it further (a channel is anonymous when both say yes).
 */
function anonymousAllowed(config: Config): boolean {
  return !authConfigured(config) || config.auth.anonymous;
}

/** Whether some channel lets anonymous connections in; if none does, a WebSocket must send `auth` in time. */
export function anonymousAnywhere(config: Config): boolean {
  return (
    anonymousAllowed(config) &&
    (config.channel.anonymous ||
      Object.values(config.namespaces).some((ns) => ns.anonymous ?? config.channel.anonymous))
  );
}

/**
 * The resolver: a channel's options by its namespace (the part before its first `:`). A channel without `:`, or
 * whose prefix names no configured namespace, uses the default namespace (the `channel` section).
 */
export function channelOptionsFrom(config: Config): (channel: string) => ChannelOptions {
  const build = (namespace: string): ChannelOptions => {
    const c = resolveNamespace(config.channel, config.namespaces[namespace]);
    return {
      namespace,
      history: c.history,
      presence: c.presence,
      joinLeave: c.joinLeave,
      clientPublish: c.clientPublish,
      echo: c.echo,
      anonymous: c.anonymous && anonymousAllowed(config),
      maxSubscribers: c.maxSubscribers,
      maxMessageBytes: c.maxMessageBytes > 0 ? c.maxMessageBytes : config.limits.maxMessageBytes,
      lastValue: c.lastValue,
      proxy: c.proxy,
      delivery: {
        policy: c.delivery.policy,
        conflateKey:
          c.delivery.policy === 'latest' && c.delivery.conflateKey !== '' ? c.delivery.conflateKey : null,
        queueSize: c.delivery.queueSize,
        maxRate: c.delivery.policy === 'all' ? 0 : c.delivery.maxRate,
      },
    };
  };
  const fallback = build('');
  const named = new Map(Object.keys(config.namespaces).map((ns) => [ns, build(ns)]));
  const byNamespace = (channel: string): ChannelOptions => {
    const ns = namespaceOf(channel);
    return ns === '' ? fallback : (named.get(ns) ?? fallback);
  };
  if (pusherAppsOf(config).length === 0) return byNamespace;
  // With a Pusher app configured, a channel's Pusher prefix adds to what its namespace says.
  const kinds = new Map<ChannelOptions, Map<string, ChannelOptions>>();
  return (channel) => {
    const base = byNamespace(channel);
    const kind = pusherKindOf(channel);
    if (!kind.authorized && !kind.cache) return base;
    const key = `${kind.authorized}${kind.presence}${kind.cache}`;
    const forBase = kinds.get(base) ?? new Map<string, ChannelOptions>();
    kinds.set(base, forBase);
    const options = forBase.get(key) ?? withPusherKind(base, kind);
    forBase.set(key, options);
    return options;
  };
}

/**
 * A Pusher channel kind over its namespace's options: authorized channels are never anonymous (a Switchboard
 * connection needs a token granting them), presence channels track members and announce joins and leaves, cache
 * channels give a new subscriber the last event (history keeps at least one).
 */
function withPusherKind(base: ChannelOptions, kind: PusherKind): ChannelOptions {
  return {
    ...base,
    ...(kind.authorized ? { anonymous: false } : {}),
    ...(kind.presence ? { presence: true, joinLeave: true } : {}),
    ...(kind.cache
      ? { lastValue: true, history: { ...base.history, size: Math.max(1, base.history.size) } }
      : {}),
  };
}
