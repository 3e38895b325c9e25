// @switchboard/server-sdk: what an app backend needs of a Switchboard hub. Fetch and Web Crypto only, so it runs in
// Node, Deno, Bun and edge runtimes. docs/backend.md shows it in use.
export {
  type BroadcastResult,
  type History,
  type HistoryPublication,
  type Published,
  Switchboard,
  type SwitchboardOptions,
  type TicketClaims,
} from './api.ts';
export { type ApiErrorCode, SwitchboardApiError } from './errors.ts';
export * from './hooks.ts';
export {
  type ConnectionClaims,
  connectionToken,
  type SignOptions,
  type SubscriptionClaims,
  subscriptionToken,
} from './tokens.ts';
export {
  type VerifyOptions,
  verifyWebhook,
  type WebhookEvent,
  type WebhookPayload,
  WebhookVerificationError,
} from './webhooks.ts';
