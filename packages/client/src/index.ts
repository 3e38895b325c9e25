export type { ClientInfo, ErrorCode, Position } from '@switchboard/protocol';
export { backoffDelay } from './backoff.ts';
export {
  Client,
  type ClientEvents,
  type ClientOptions,
  type ClientReason,
  type ClientState,
  type ClientStateEvent,
  type Connector,
  type SubscribeOptions,
} from './client.ts';
export { BYTES_CODEC, type Codec, JSON_CODEC } from './codec.ts';
export { type BackoffOptions, CLIENT_DEFAULTS, type TransportChoice } from './defaults.ts';
export { type LocalErrorCode, SwitchboardClientError } from './errors.ts';
export {
  type Message,
  type SubscribedEvent,
  Subscription,
  type SubscriptionEvents,
  type SubscriptionReason,
  type SubscriptionState,
  type SubscriptionStateEvent,
} from './subscription.ts';
export type { TokenOption } from './tokens.ts';
export type {
  CloseInfo,
  OpenParams,
  Transport,
  TransportHandlers,
  TransportKind,
} from './transport/types.ts';
export type { CallOptions, HistoryOptions, HistoryResult, Publication, Published } from './types.ts';
