import type { WebhookEventName } from '../config/types.ts';

/** One webhook event, as it appears in a request's `events`. docs/backend.md documents each. */
export type WebhookEvent =
  | { readonly name: 'channel_occupied' | 'channel_vacated'; readonly channel: string }
  | {
      readonly name: 'member_added' | 'member_removed';
      readonly channel: string;
      readonly client: string;
      readonly user: string | null;
    }
  | {
      readonly name: 'client_event';
      readonly channel: string;
      readonly client: string;
      readonly user: string | null;
      readonly data: unknown;
    }
  | {
      readonly name: 'connection_closed';
      readonly client: string;
      readonly user: string | null;
      /** Why: a close reason of protocol.md section 8, or `closed` when the client went away. */
      readonly reason: string;
    };

/** Where the node reports what happened; a sink that wants nothing costs one check per event. */
export interface WebhookSink {
  wants(name: WebhookEventName): boolean;
  emit(event: WebhookEvent): void;
}

export const NO_WEBHOOKS: WebhookSink = { wants: () => false, emit: () => {} };
