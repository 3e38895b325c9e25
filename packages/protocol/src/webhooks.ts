// The webhooks' wire contract: the body the hub POSTs and its events. docs/backend.md documents each.

/** The webhook events, as their `name` field says. */
export const WEBHOOK_EVENT_NAMES = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'connection_closed',
] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENT_NAMES)[number];

/** The header that signs every request: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const WEBHOOK_SIGNATURE_HEADER = 'Switchboard-Signature';

/** One webhook event. */
export type WebhookEvent =
  /** The channel got its first subscriber in the whole cluster, or lost its last. */
  | { readonly name: 'channel_occupied' | 'channel_vacated'; readonly channel: string }
  /** A connection joined or left the presence of a channel (one event per connection, not per user). */
  | {
      readonly name: 'member_added' | 'member_removed';
      readonly channel: string;
      readonly client: string;
      readonly user: string | null;
    }
  /** A client published (after the publish hook, if any: the data stored): `data`, or `data_b64` for bytes. */
  | {
      readonly name: 'client_event';
      readonly channel: string;
      readonly client: string;
      readonly user: string | null;
      readonly data?: unknown;
      readonly data_b64?: string;
    }
  /** A connection ended: a close reason of protocol.md section 8, or `closed` when the client went away. */
  | {
      readonly name: 'connection_closed';
      readonly client: string;
      readonly user: string | null;
      readonly reason: string;
    };

/** One webhook request's body. `id` is the same on every redelivery of it: de-duplicate by it. */
export interface WebhookPayload {
  readonly id: string;
  readonly time_ms: number;
  readonly events: readonly WebhookEvent[];
}
