import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from '@prometheus-io/client';
import { type ByteTallies, type ByteTallyKind, byteTallies } from '../transport/bytes-written.ts';

/**
 * Buckets of the publish-to-write histogram, in seconds: fine under a millisecond (where an idle hub is), then
 * roughly ×1.5 steps to 10 s, so p50 and p99 read from them stay within 10% of the measured values.
 */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02,
  0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10,
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
  readonly publishToWrite: Histogram<'transport'>;
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
    this.publishToWrite = new Histogram({
      name: 'switchboard_publish_to_write_seconds',
      help: 'Hub-side latency of each delivery, from the publication reaching the hub from the engine to its socket write, by transport (ws, sse, pusher).',
      labelNames: ['transport'],
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    // Each kind's series resolved once: the writers observe it with no label lookup.
    for (const kind of Object.keys(tallies) as ByteTallyKind[])
      tallies[kind].latency = this.publishToWrite.labels({ transport: kind });
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
