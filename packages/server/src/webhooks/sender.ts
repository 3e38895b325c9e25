import { Counter, Gauge, type Registry } from '@prometheus-io/client';
import type { Logger } from 'pino';
import type { Config, WebhookEventName } from '../config/types.ts';
import type { WebhookEvent, WebhookSink } from './events.ts';
import { type Batch, WebhookQueue } from './queue.ts';
import { SIGNATURE_HEADER, signWebhook } from './signature.ts';

/** Requests in flight (each with its retries) at once. */
const MAX_IN_FLIGHT = 4;
/** Drops are logged at most this often. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * Signed webhooks over a `WebhookQueue`: `{id, time_ms, events}`, signed over `<t>.<body>` in
 * `Switchboard-Signature`, retried up to `webhooks.maxAttempts` times with the same id and body (signed anew):
 * at least once, with the id for de-duplication. Drops are counted and logged.
 */
export class WebhookSender implements WebhookSink {
  readonly #config: Config['webhooks'];
  readonly #logger: Logger;
  readonly #wanted: ReadonlySet<WebhookEventName>;
  readonly #queue: WebhookQueue<WebhookEvent>;
  #dropped = 0;
  #lastDropLog = 0;
  readonly #events: Counter<'outcome'>;
  readonly #requests: Counter<'outcome'>;

  constructor(config: Config['webhooks'], registry: Registry, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
    this.#wanted = new Set(config.url === '' ? [] : config.events);
    const registers = [registry];
    this.#events = new Counter({
      name: 'switchboard_webhook_events_total',
      help: 'Webhook events by outcome: delivered, dropped_overflow (queue full), dropped_failed (attempts used up).',
      labelNames: ['outcome'],
      registers,
    });
    this.#requests = new Counter({
      name: 'switchboard_webhook_requests_total',
      help: 'Webhook requests by outcome (ok, failed); a failed one is retried until webhooks.maxAttempts.',
      labelNames: ['outcome'],
      registers,
    });
    this.#queue = new WebhookQueue(
      {
        maxQueue: config.maxQueue,
        batchSize: config.batchSize,
        maxAttempts: config.maxAttempts,
        maxInFlight: MAX_IN_FLIGHT,
      },
      (batch) => this.#post(batch),
      {
        delivered: (n) => this.#events.inc({ outcome: 'delivered' }, n),
        dropped: (reason, n) => this.#drop(reason, n),
      },
    );
    const queue = this.#queue;
    new Gauge({
      name: 'switchboard_webhook_queue',
      help: 'Webhook events waiting to be sent.',
      registers,
      collect() {
        this.set(queue.length);
      },
    });
  }

  wants(name: WebhookEventName): boolean {
    return this.#wanted.has(name);
  }

  emit(event: WebhookEvent): void {
    if (this.#wanted.has(event.name)) this.#queue.push(event);
  }

  /** Stops sending: queued events and pending retries are abandoned (at least once holds only while running). */
  close(): void {
    this.#queue.close();
  }

  async #post(batch: Batch<WebhookEvent>): Promise<boolean> {
    const body = JSON.stringify({ id: batch.id, time_ms: Date.now(), events: batch.events });
    try {
      const res = await fetch(this.#config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(this.#config.secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.#config.timeoutMs),
      });
      await res.body?.cancel();
      this.#requests.inc({ outcome: res.ok ? 'ok' : 'failed' });
      if (!res.ok) this.#logger.warn({ id: batch.id, status: res.status }, 'webhook refused');
      return res.ok;
    } catch (err) {
      this.#requests.inc({ outcome: 'failed' });
      this.#logger.warn({ id: batch.id, err: (err as Error).message }, 'webhook failed');
      return false;
    }
  }

  #drop(reason: 'overflow' | 'failed', n: number): void {
    const outcome = reason === 'overflow' ? 'dropped_overflow' : 'dropped_failed';
    this.#events.inc({ outcome }, n);
    this.#dropped += n;
    const now = Date.now();
    if (now - this.#lastDropLog < DROP_LOG_INTERVAL_MS) return;
    this.#lastDropLog = now;
    this.#logger.warn({ dropped: this.#dropped, reason: outcome }, 'webhook events dropped');
    this.#dropped = 0;
  }
}
