import type { Config } from './types.ts';

/** Every default of the hub, in one place. docs/configuration.md lists them; a test keeps the two in step. */
export const DEFAULTS: Config = {
  server: {
    host: '0.0.0.0',
    port: 8080,
    maxConnections: 100_000,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    shutdownTimeoutMs: 10_000,
    inspector: true,
  },
  api: { keys: [], maxBodyBytes: 1024 * 1024 },
  engine: { url: 'memory' },
  limits: {
    maxMessageBytes: 64 * 1024,
    maxFrameBytes: 128 * 1024,
    maxChannelsPerConnection: 128,
    maxChannelLength: 255,
    maxOutgoingBytes: 4 * 1024 * 1024,
    maxOutgoingMs: 5_000,
    maxHistoryLimit: 1_000,
  },
  channel: {
    history: { size: 100, ttlMs: 5 * 60_000, metaTtlMs: 24 * 60 * 60_000 },
    presence: true,
    joinLeave: false,
    clientPublish: false,
    echo: true,
    anonymous: true,
    maxSubscribers: 0,
    maxMessageBytes: 0,
    lastValue: false,
    delivery: { policy: 'all', conflateKey: '', queueSize: 100, maxRate: 0 },
  },
  namespaces: {},
  heartbeat: { intervalMs: 15_000, timeoutMs: 10_000 },
  sse: { retryMs: 2_000 },
  idempotency: { ttlMs: 5 * 60_000 },
  log: { level: 'info' },
};
