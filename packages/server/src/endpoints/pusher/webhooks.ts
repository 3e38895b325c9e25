import type { Logger } from 'pino';
import type { PusherApp } from '../../config/types.ts';
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

interface AppQueue {
  events: WebhookEvent[];
  inFlight: number;
  dropped: number;
}

/**
 * Pusher-format webhooks: each app's events, batched per event-loop turn into `{time_ms, events}`, POSTed to its
 * `webhookUrl` with `X-Pusher-Key` and `X-Pusher-Signature` (HMAC-SHA256 of the body with the app's secret).
 * At most once: a POST that fails or times out is logged, not retried. Bounded: a queue per app and a few POSTs
 * in flight.
 */
export class PusherWebhooks {
  readonly #logger: Logger;
  readonly #queues = new Map<PusherApp, AppQueue>();
  #scheduled = false;

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
      q = { events: [], inFlight: 0, dropped: 0 };
      this.#queues.set(app, q);
    }
    if (q.events.length >= MAX_QUEUED) {
      q.events.shift();
      q.dropped++;
    }
    q.events.push(event);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      for (const [app, q] of this.#queues) this.#flush(app, q);
    });
  }

  #flush(app: PusherApp, q: AppQueue): void {
    if (q.dropped > 0) {
      this.#logger.warn(
        { app: app.id, dropped: q.dropped },
        'pusher webhooks dropped: the endpoint is too slow',
      );
      q.dropped = 0;
    }
    if (q.events.length === 0 || q.inFlight >= MAX_IN_FLIGHT) return;
    const events = q.events;
    q.events = [];
    const body = JSON.stringify({ time_ms: Date.now(), events });
    q.inFlight++;
    fetch(app.webhookUrl!, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-pusher-key': app.key,
        'x-pusher-signature': hmacHex(app.secret, body),
      },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
      .then(async (res) => {
        await res.body?.cancel();
        if (!res.ok) this.#logger.warn({ app: app.id, status: res.status }, 'pusher webhook refused');
      })
      .catch((err: unknown) => {
        this.#logger.warn({ app: app.id, err: (err as Error).message }, 'pusher webhook failed');
      })
      .finally(() => {
        q.inFlight--;
        if (q.events.length > 0) this.#schedule();
      });
  }
}
