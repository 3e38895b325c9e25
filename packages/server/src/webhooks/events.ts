import type { WebhookEvent, WebhookEventName } from '@switchboard/protocol';

export type { WebhookEvent };

/** Where the node reports what happened; a sink that wants nothing costs one check per event. */
export interface WebhookSink {
  wants(name: WebhookEventName): boolean;
  emit(event: WebhookEvent): void;
}

export const NO_WEBHOOKS: WebhookSink = { wants: () => false, emit: () => {} };
