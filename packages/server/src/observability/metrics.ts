import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type Metric,
  Registry,
} from '@prometheus-io/client';
import { type ByteTallies, type ByteTallyKind, byteTallies } from '../transport/bytes-written.ts';
import { LatencyHistogram } from './latency-histogram.ts';

/**
 * Buckets of the publish-to-write histogram, in seconds: ×1.25 steps from 100 µs to 1 s (3 significant digits),
 * then 1, 1.5, 2, 3, 5 and 10 s. Quantiles interpolated inside a ×1.25 bucket land within a few percent of the measured
 * values (tests/e2e/latency-histogram.test.ts checks 10% under load).
 */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0001, 0.000125, 0.000156, 0.000195, 0.000244, 0.000305, 0.000381, 0.000477, 0.000596, 0.000745, 0.000931,
  0.00116, 0.00146, 0.00182, 0.00227, 0.00284, 0.00355, 0.00444, 0.00555, 0.00694, 0.00867, 0.0108, 0.0136,
  0.0169, 0.0212, 0.0265, 0.0331, 0.0414, 0.0517, 0.0646, 0.0808, 0.101, 0.126, 0.158, 0.197, 0.247, 0.308,
  0.385, 0.481, 0.602, 0.752, 0.94, 1, 1.5, 2, 3, 5, 10,
];

/** Buckets of the HTTP API request duration, in seconds. */
export const API_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The hub's Prometheus metrics, on a registry of its own (several hubs in one process do not collide). */
export class Metrics {
  readonly registry = new Registry();
  readonly connections: Gauge<'transport'>;
  readonly channels: Gauge;
  readonly publications: Counter<'source'>;
  readonly deliveries: Counter;
  readonly errors: Counter<'code'>;
  readonly disconnects: Counter<'reason'>;
  readonly refused: Counter<'reason'>;
  readonly gapsUnfilled: Counter;
  readonly rateLimited: Counter<'limit'>;
  readonly outgoingBytes: Gauge;
  readonly publishToWrite: LatencyHistogram<'transport'>;
  /**
   * Bytes and frames written per transport kind, and where their publish-to-write waits go; the transports add
   * to these plain numbers, scrapes read them.
   */
  readonly bytesWritten: ByteTallies = byteTallies();
  readonly apiDuration: Histogram<'route' | 'status'>;

  constructor(sample: {
    connections(): Record<'websocket' | 'sse', number>;
    channels(): number;
    outgoingBytes(): number;
  }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.connections = new Gauge({
      name: 'switchboard_connections',
      help: 'Open client connections by transport.',
      labelNames: ['transport'],
      registers,
      collect() {
        const counts = sample.connections();
        this.set({ transport: 'websocket' }, counts.websocket);
        this.set({ transport: 'sse' }, counts.sse);
      },
    });
    this.channels = new Gauge({
      name: 'switchboard_channels',
      help: 'Channels with at least one subscriber on this node.',
      registers,
      collect() {
        this.set(sample.channels());
      },
    });
    this.publications = new Counter({
      name: 'switchboard_publications_total',
      help: 'Publications accepted, by source (api, client, admin).',
      labelNames: ['source'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'switchboard_deliveries_total',
      help: 'Publications handed to local subscribers (one per subscriber).',
      registers,
    });
    this.errors = new Counter({
      name: 'switchboard_errors_total',
      help: 'Errors answered to clients and API callers, by code.',
      labelNames: ['code'],
      registers,
    });
    this.disconnects = new Counter({
      name: 'switchboard_disconnects_total',
      help: 'Connections ended by the hub, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.refused = new Counter({
      name: 'switchboard_refused_total',
      help: 'Connections and requests refused before they started, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'switchboard_rate_limited_total',
      help: 'Commands, publishes, connections and API requests refused by a rate limit, by limit.',
      labelNames: ['limit'],
      registers,
    });
    this.outgoingBytes = new Gauge({
      name: 'switchboard_outgoing_bytes',
      help: 'Bytes queued on client connections and not yet sent (the hub side of slow consumers).',
      registers,
      collect() {
        this.set(sample.outgoingBytes());
      },
    });
    const tallies = this.bytesWritten;
    new Counter({
      name: 'switchboard_bytes_written_total',
      help: 'Bytes written to client connections after the handshake (frames, events, heartbeats), by transport (ws, sse, pusher).',
      labelNames: ['transport'],
      registers,
      collect() {
        this.reset();
        for (const kind of Object.keys(tallies) as ByteTallyKind[])
          this.inc({ transport: kind }, tallies[kind].bytes);
      },
    });
    new Counter({
      name: 'switchboard_frames_written_total',
      help: 'Frames (WebSocket frames, SSE events) written to client connections, by transport (ws, sse, pusher).',
      labelNames: ['transport'],
      registers,
      collect() {
        this.reset();
        for (const kind of Object.keys(tallies) as ByteTallyKind[])
          this.inc({ transport: kind }, tallies[kind].frames);
      },
    });
    this.publishToWrite = new LatencyHistogram({
      name: 'switchboard_publish_to_write_seconds',
      help: 'Hub-side latency of each delivery, from the publication reaching the hub from the engine to its socket write, by transport (ws, sse, pusher).',
      labelName: 'transport',
      buckets: LATENCY_BUCKETS,
    });
    // Observed once per delivery, so not a prom-client Histogram (which hashes its labels on every observation);
    // it has the shape a registry reads. Each kind's series is resolved once: the writers observe it directly.
    this.registry.registerMetric(this.publishToWrite as unknown as Metric);
    for (const kind of Object.keys(tallies) as ByteTallyKind[])
      tallies[kind].latency = this.publishToWrite.series(kind);
    this.apiDuration = new Histogram({
      name: 'switchboard_api_request_duration_seconds',
      help: 'HTTP API round trip inside the hub, from the request to the response written, by route and status.',
      labelNames: ['route', 'status'],
      buckets: [...API_BUCKETS],
      registers,
    });
    this.gapsUnfilled = new Counter({
      name: 'switchboard_gaps_unfilled_total',
      help: 'Gaps in a channel stream that history could not fill.',
      registers,
    });
  }
}
