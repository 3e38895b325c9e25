import type { Config, PusherApp } from './types.ts';

/** Every configured Pusher app: the one set by `pusher.appId`/`appKey`/`appSecret` first, then `pusher.apps`. */
export function pusherAppsOf(config: Config): readonly PusherApp[] {
  const { appId, appKey, appSecret, appWebhookUrl, apps } = config.pusher;
  if (appId === '') return apps;
  const app = { id: appId, key: appKey, secret: appSecret };
  return [appWebhookUrl === '' ? app : { ...app, webhookUrl: appWebhookUrl }, ...apps];
}

/**
 * What a Pusher channel's name prefix makes it (docs/pusher.md): `private-` and `private-encrypted-` channels need
 * an authorization, `presence-` ones too and track members, `cache-` ones (also `private-cache-`,
 * `presence-cache-`, `private-encrypted-cache-`) hand a new subscriber the last event.
 */
export interface PusherKind {
  /** Subscribing needs a signed authorization (Pusher) or a token that grants the channel (Switchboard). */
  readonly authorized: boolean;
  readonly presence: boolean;
  readonly cache: boolean;
  readonly encrypted: boolean;
}

const PUBLIC: PusherKind = { authorized: false, presence: false, cache: false, encrypted: false };

export function pusherKindOf(channel: string): PusherKind {
  let rest = channel;
  let kind = PUBLIC;
  if (rest.startsWith('private-encrypted-')) {
    kind = { ...kind, authorized: true, encrypted: true };
    rest = rest.slice('private-encrypted-'.length);
  } else if (rest.startsWith('private-')) {
    kind = { ...kind, authorized: true };
    rest = rest.slice('private-'.length);
  } else if (rest.startsWith('presence-')) {
    kind = { ...kind, authorized: true, presence: true };
    rest = rest.slice('presence-'.length);
  }
  if (rest.startsWith('cache-')) kind = { ...kind, cache: true };
  return kind;
}
