// Who may do what on which channel: one function of an identity, an action and a channel's options.
import type { ErrorCode } from '@switchboard/protocol';
import type { Config } from '../config/types.ts';
import type { ChannelOptions } from '../core/channel-options.ts';
import { channelUsers, matchesAny } from './patterns.ts';
import type { Identity } from './types.ts';

export type Action = 'subscribe' | 'publish' | 'presence';

export interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
}

const NEEDS_CREDENTIALS: Refusal = { code: 'unauthorized', message: 'this channel needs credentials' };
const NOT_YOURS: Refusal = { code: 'forbidden', message: 'this user channel belongs to another user' };
const NOT_PERMITTED: Refusal = {
  code: 'forbidden',
  message: 'the token does not permit this on this channel',
};

/**
 * The permission rules, in order:
 * 1. A user channel (`…#42`, `…#42,43`) is reachable only by the users it lists, whatever else is granted.
 * 2. A channel the token's patterns grant for the action is allowed (history follows `subscribe`).
 * 3. A channel whose options allow anonymous access is allowed to everyone.
 * 4. Anything else is refused: `unauthorized` without credentials, `forbidden` with them.
 * Channels listed in `auth.subscriptionTokenChannels` are subscribed with a subscription token instead (the
 * session checks it); rules 1–4 still decide publish and presence there.
 */
export class Access {
  readonly #channelOptions: (channel: string) => ChannelOptions;
  readonly #tokenChannels: readonly string[];

  constructor(config: Config, channelOptions: (channel: string) => ChannelOptions) {
    this.#channelOptions = channelOptions;
    this.#tokenChannels = config.auth.subscriptionTokenChannels;
  }

  check(identity: Identity, action: Action, channel: string): Refusal | null {
    const users = channelUsers(channel);
    if (users !== null) {
      if (identity.user !== null && users.includes(identity.user)) return null;
      return identity.authenticated ? NOT_YOURS : NEEDS_CREDENTIALS;
    }
    if (matchesAny(identity.permissions[action], channel)) return null;
    if (this.#channelOptions(channel).anonymous) return null;
    return identity.authenticated ? NOT_PERMITTED : NEEDS_CREDENTIALS;
  }

  /** Whether subscribing to `channel` takes a subscription token (user channels never do: rule 1 decides). */
  needsSubscriptionToken(channel: string): boolean {
    return channelUsers(channel) === null && matchesAny(this.#tokenChannels, channel);
  }
}
