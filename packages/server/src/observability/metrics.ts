import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from '@prometheus-io/client';
import { type ByteTallies, type ByteTallyKind, byteTallies } from '../transport/bytes-written.ts';
import { LatencyHistogram } from './latency-histogram.ts';

/**
 * Buckets of the publish-to-write histogram, in seconds: ×1.15 steps from 100 µs to 1 s (3 significant
 * digits), then 1, 1.5, 2, 3, 5 and 10 s. Quantiles interpolated inside a ×1.15 bucket land within a few percent
 * of the measured values (tests/e2e/latency-histogram.test.ts checks 10% under load).
 */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0001, 0.000115, 0.000132, 0.000152, 0.000175, 0.000201, 0.000231, 0.000266, 0.000306, 0.000352, 0.000405,
  0.000465, 0.000535, 0.000615, 0.000708, 0.000814, 0.000936, 0.00108, 0.00124, 0.00142, 0.00164, 0.00188,
  0.00216, 0.00249, 0.00286, 0.00329, 0.00379, 0.00435, 0.00501, 0.00576, 0.00662, 0.00761, 0.00876, 0.0101,
  0.0116, 0.0133, 0.0153, 0.0176, 0.0203, 0.0233, 0.0268, 0.0308, 0.0354, 0.0407, 0.0468, 0.0539, 0.062,
  0.0713, 0.0819, 0.0942, 0.108, 0.125, 0.143, 0.165, 0.19, 0.218, 0.251, 0.288, 0.331, 0.381, 0.438, 0.504,
  0.58, 0.667, 0.767, 0.882, 1, 1.5, 2, 3, 5, 10,
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
  /** Publications accepted, by source: plain numbers the publish path adds to, read by `publications` at a scrape. */
  readonly published = { api: 0, client: 0, admin: 0 };
  readonly deliveries: Counter;
  readonly errors: Counter<'code'>;
  readonly disconnects: Counter<'reason'>;
  readonly refused: Counter<'reason'>;
  readonly gapsUnfilled: Counter;
  readonly rateLimited: Counter<'limit'>;
  readonly outgoingBytes: Gauge;
  readonly publishToWrite: LatencyHistogram<'transport'>;
  readonly dropped: Counter<'reason'>;
  /**
   * Bytes and frames written per transport kind, and where their publish-to-write waits go; the transports add
   * to these plain numbers, scrapes read them.
   */
  readonly bytesWritten: ByteTallies = byteTallies();
  readonly apiDuration: LatencyHistogram<'route' | 'status'>;

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
    const published = this.published;
    this.publications = new Counter({
      name: 'switchboard_publications_total',
      help: 'Publications accepted, by source (api, client, admin).',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const source of Object.keys(published) as (keyof typeof published)[])
          if (published[source] > 0) this.inc({ source }, published[source]);
      },
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
    // Observed once per API request: the same cheap histogram, each route × status series resolved once by the API.
    this.apiDuration = new LatencyHistogram({
      name: 'switchboard_api_request_duration_seconds',
      help: 'HTTP API round trip inside the hub, from the request to the response written, by route and status.',
      labelNames: ['route', 'status'],
      buckets: [...API_BUCKETS],
    });
    this.registry.registerMetric(this.apiDuration as unknown as Metric);
    this.dropped = new Counter({
      name: 'switchboard_dropped_total',
      help: 'Publications a slow subscriber of a latest or drop-oldest channel never got, by reason (conflated, queue_full).',
      labelNames: ['reason'],
      registers,
    });
    this.gapsUnfilled = new Counter({
      name: 'switchboard_gaps_unfilled_total',
      help: 'Gaps in a channel stream that history could not fill.',
      registers,
    });
  }
}
