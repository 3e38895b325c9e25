import { Counter, collectDefaultMetrics, Gauge, Registry } from '@prometheus-io/client';
import { type ByteTallies, type ByteTallyKind, byteTallies } from '../transport/bytes-written.ts';

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
  /** Bytes written per transport kind; the transports add to these plain numbers, scrapes read them. */
  readonly bytesWritten: ByteTallies = byteTallies();

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
      help: 'Publications accepted, by source (api, client).',
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
    this.gapsUnfilled = new Counter({
      name: 'switchboard_gaps_unfilled_total',
      help: 'Gaps in a channel stream that history could not fill.',
      registers,
    });
  }
}
