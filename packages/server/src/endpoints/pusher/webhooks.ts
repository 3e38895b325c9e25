import type { Logger } from 'pino';
import type { PusherApp } from '../../config/types.ts';
import { WebhookQueue } from '../../webhooks/queue.ts';
import { hmacHex } from './signatures.ts';

/** One Pusher webhook event, as Pusher's format names its fields. */
export type WebhookEvent =
  | { readonly name: 'channel_occupied' | 'channel_vacated'; readonly channel: string }
  | { readonly name: 'member_added' | 'member_removed'; readonly channel: string; readonly user_id: string }
  | {
      readonly name: 'client_event';
      readonly channel: string;
      readonly event: string;
      readonly data: string;
      readonly socket_id: string;
      readonly user_id?: string;
    };

/** Events waiting per app; past this many the oldest are dropped (and the drop logged). */
const MAX_QUEUED = 1_000;
/** POSTs in flight per app; more wait in the queue. */
const MAX_IN_FLIGHT = 4;
/** A webhook POST that has not answered by then is abandoned. */
const TIMEOUT_MS = 5_000;
/** Drops are logged at most this often per app. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * Pusher-format webhooks: each app's events, batched per event-loop turn into `{time_ms, events}`, POSTed to its
 * `webhookUrl` with `X-Pusher-Key` and `X-Pusher-Signature` (HMAC-SHA256 of the body with the app's secret).
 * At most once: a POST that fails or times out is logged, not retried. Bounded: a queue per app and a few POSTs
 * in flight. The queueing, batching and bounds are the shared `WebhookQueue`'s (webhooks/queue.ts).
 */
export class PusherWebhooks {
  readonly #logger: Logger;
  readonly #queues = new Map<PusherApp, WebhookQueue<WebhookEvent>>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Whether `app` has webhooks at all (callers skip the work of finding events otherwise). */
  wants(app: PusherApp): boolean {
    return app.webhookUrl !== undefined;
  }

  emit(app: PusherApp, event: WebhookEvent): void {
    if (app.webhookUrl === undefined) return;
    let q = this.#queues.get(app);
    if (q === undefined) {
      q = this.#queueFor(app, app.webhookUrl);
      this.#queues.set(app, q);
    }
    q.push(event);
  }

  #queueFor(app: PusherApp, url: string): WebhookQueue<WebhookEvent> {
    let dropped = 0;
    let lastLog = 0;
    return new WebhookQueue<WebhookEvent>(
      { maxQueue: MAX_QUEUED, batchSize: MAX_QUEUED, maxAttempts: 1, maxInFlight: MAX_IN_FLIGHT },
      (batch) => this.#post(app, url, batch.events),
      {
        dropped: (reason, n) => {
          if (reason === 'failed') return; // `#post` logged why.
          dropped += n;
          const now = Date.now();
          if (now - lastLog < DROP_LOG_INTERVAL_MS) return;
          lastLog = now;
          this.#logger.warn({ app: app.id, dropped }, 'pusher webhooks dropped: the endpoint is too slow');
          dropped = 0;
        },
      },
    );
  }

  async #post(app: PusherApp, url: string, events: readonly WebhookEvent[]): Promise<boolean> {
    const body = JSON.stringify({ time_ms: Date.now(), events });
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-pusher-key': app.key,
          'x-pusher-signature': hmacHex(app.secret, body),
        },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (!res.ok) this.#logger.warn({ app: app.id, status: res.status }, 'pusher webhook refused');
      return res.ok;
    } catch (err) {
      this.#logger.warn({ app: app.id, err: (err as Error).message }, 'pusher webhook failed');
      return false;
    }
  }
}
