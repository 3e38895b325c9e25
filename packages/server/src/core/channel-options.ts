import type { Config } from '../config/types.ts';
import type { HistoryPolicy } from '../engine/types.ts';

/** What a channel does: resolved per channel so namespaces can later give each kind of channel its own. */
export interface ChannelOptions {
  readonly history: HistoryPolicy;
  readonly presence: boolean;
  readonly joinLeave: boolean;
  readonly clientPublish: boolean;
}

export function channelOptionsFrom(config: Config): (channel: string) => ChannelOptions {
  const options: ChannelOptions = {
    history: config.channel.history,
    presence: config.channel.presence,
    joinLeave: config.channel.joinLeave,
    clientPublish: config.channel.clientPublish,
  };
  return () => options;
}
