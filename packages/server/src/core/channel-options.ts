import type { Config } from '../config/types.ts';
import type { HistoryPolicy } from '../engine/types.ts';

/** What a channel does: resolved per channel so namespaces can later give each kind of channel its own. */
export interface ChannelOptions {
  readonly history: HistoryPolicy;
  readonly presence: boolean;
  readonly joinLeave: boolean;
  readonly clientPublish: boolean;
  /** May connections without credentials subscribe (and publish, see presence, where those are on)? */
  readonly anonymous: boolean;
}

/** Whether any verification key is configured (without one, every connection is anonymous). */
export function authConfigured(config: Config): boolean {
  return config.auth.secret !== '' || config.auth.publicKey !== '' || config.auth.jwksUrl !== '';
}

/** Whether some channel lets anonymous connections in; if none does, a WebSocket must send `auth` in time. */
export function anonymousAnywhere(config: Config): boolean {
  return !authConfigured(config) || config.auth.anonymous;
}

export function channelOptionsFrom(config: Config): (channel: string) => ChannelOptions {
  const options: ChannelOptions = {
    history: config.channel.history,
    presence: config.channel.presence,
    joinLeave: config.channel.joinLeave,
    clientPublish: config.channel.clientPublish,
    // Contract D: anonymous by default when no auth is configured; with a key, `auth.anonymous` decides.
    anonymous: anonymousAnywhere(config),
  };
  return () => options;
}
