import type { IncomingMessage } from 'node:http';
import type { ErrorCode } from '@switchboard/protocol';
import { OriginPolicy } from '../auth/origins.ts';
import type { Config } from '../config/types.ts';
import { KeyedLimiter } from '../limits/rate.ts';
import type { Metrics } from '../observability/metrics.ts';

export interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
  readonly headers: Record<string, string>;
}

const SWEEP_MS = 10_000;

/**
 * The checks every browser-facing request passes before anything else happens (no session, no subscription,
 * no presence entry): its origin is on the allow-list, and (for new connections) its IP is under the rate.
 */
export class Guard {
  readonly origins: OriginPolicy;
  readonly #connections: KeyedLimiter;
  readonly #metrics: Metrics;
  #timer: NodeJS.Timeout | undefined;

  constructor(config: Config, metrics: Metrics) {
    this.origins = new OriginPolicy(config.server.allowedOrigins);
    this.#connections = new KeyedLimiter(config.limits.connectionRate);
    this.#metrics = metrics;
  }

  start(): void {
    if (!this.#connections.enabled) return;
    this.#timer = setInterval(() => this.#connections.sweep(Date.now()), SWEEP_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** A refusal when the request's `Origin` is not allowed. */
  origin(req: IncomingMessage): Refusal | null {
    if (this.origins.allows(req.headers.origin)) return null;
    this.#metrics.refused.inc({ reason: 'origin_not_allowed' });
    return { code: 'origin_not_allowed', message: 'this origin may not connect to the hub', headers: {} };
  }

  /** Origin, then the per-IP connection rate: what a new WebSocket or SSE connection must pass first. */
  connection(req: IncomingMessage): Refusal | null {
    return this.origin(req) ?? this.rate(req);
  }

  /** The per-IP rate of new connections. */
  rate(req: IncomingMessage): Refusal | null {
    const ip = req.socket.remoteAddress ?? 'unknown';
    if (this.#connections.take(ip, Date.now())) return null;
    this.#metrics.rateLimited.inc({ limit: 'connection' });
    this.#metrics.refused.inc({ reason: 'too_many_requests' });
    return {
      code: 'too_many_requests',
      message: 'too many connection attempts from this address; retry later',
      headers: { 'retry-after': '1' },
    };
  }
}
