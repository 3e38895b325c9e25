import { randomUUID } from 'node:crypto';
import { Counter, Gauge, type Registry } from '@prometheus-io/client';
import type { Logger } from 'pino';
import type { Config, WebhookEventName } from '../config/types.ts';
import type { WebhookEvent, WebhookSink } from './events.ts';
import { SIGNATURE_HEADER, signWebhook } from './signature.ts';

/** Requests in flight (each with its retries) at once. */
const MAX_IN_FLIGHT = 4;
/** Backoff between attempts: full jitter over 0.5 s doubling to at most 30 s. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** Drops are logged at most this often. */
const DROP_LOG_INTERVAL_MS = 10_000;

interface Batch {
  readonly id: string;
  readonly events: readonly WebhookEvent[];
}

/**
 * Signed webhooks: events queue (bounded: past `webhooks.maxQueue` the oldest are dropped, counted and logged),
 * go out batched (each event-loop turn's events, at most `batchSize` per request) as `{id, time_ms, events}`,
 * signed over `<t>.<body>`, at most MAX_IN_FLIGHT requests at once. A request that fails (not 2xx, timeout,
 * network) is sent again, same id and body, newly signed, after a backoff, up to `maxAttempts` times: at least
 * once, with the id for de-duplication.
 */
export class WebhookSender implements WebhookSink {
  readonly #config: Config['webhooks'];
  readonly #logger: Logger;
  readonly #wanted: ReadonlySet<WebhookEventName>;
  #queue: WebhookEvent[] = [];
  #inFlight = 0;
  #scheduled = false;
  #closed = false;
  #dropped = 0;
  #lastDropLog = 0;
  readonly #timers = new Set<NodeJS.Timeout>();
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
    const sender = this;
    new Gauge({
      name: 'switchboard_webhook_queue',
      help: 'Webhook events waiting to be sent.',
      registers,
      collect() {
        this.set(sender.#queue.length);
      },
    });
  }

  wants(name: WebhookEventName): boolean {
    return this.#wanted.has(name);
  }

  emit(event: WebhookEvent): void {
    if (this.#closed || !this.#wanted.has(event.name)) return;
    if (this.#queue.length >= this.#config.maxQueue) {
      this.#queue.shift();
      this.#drop('dropped_overflow', 1);
    }
    this.#queue.push(event);
    this.#schedule();
  }

  /** Stops sending: queued events and pending retries are abandoned (at least once holds only while running). */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      while (!this.#closed && this.#queue.length > 0 && this.#inFlight < MAX_IN_FLIGHT) {
        const events = this.#queue.splice(0, this.#config.batchSize);
        this.#inFlight++;
        void this.#deliver({ id: randomUUID(), events }, 1);
      }
    });
  }

  async #deliver(batch: Batch, attempt: number): Promise<void> {
    if (this.#closed) return;
    const ok = await this.#post(batch);
    if (ok) {
      this.#events.inc({ outcome: 'delivered' }, batch.events.length);
      return this.#done();
    }
    if (attempt >= this.#config.maxAttempts) {
      this.#drop('dropped_failed', batch.events.length);
      return this.#done();
    }
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#deliver(batch, attempt + 1);
    }, Math.random() * ceiling);
    timer.unref();
    this.#timers.add(timer);
  }

  #done(): void {
    this.#inFlight--;
    if (this.#queue.length > 0) this.#schedule();
  }

  async #post(batch: Batch): Promise<boolean> {
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
      if (!res.ok) this.#logger.warn({ id: batch.id, status: res.status }, 'webhook refused; will retry');
      return res.ok;
    } catch (err) {
      this.#requests.inc({ outcome: 'failed' });
      this.#logger.warn({ id: batch.id, err: (err as Error).message }, 'webhook failed; will retry');
      return false;
    }
  }

  #drop(outcome: 'dropped_overflow' | 'dropped_failed', n: number): void {
    this.#events.inc({ outcome }, n);
    this.#dropped += n;
    const now = Date.now();
    if (now - this.#lastDropLog < DROP_LOG_INTERVAL_MS) return;
    this.#lastDropLog = now;
    this.#logger.warn({ dropped: this.#dropped, reason: outcome }, 'webhook events dropped');
    this.#dropped = 0;
  }
}
