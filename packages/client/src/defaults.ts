/**
 * Every default of the client in one place. Each value can be overridden per client (`new Client(url, {…})`);
 * docs/client.md lists them with the same values.
 */
export const CLIENT_DEFAULTS = {
  /** Which transport to use: `websocket`, `sse`, or `auto` (WebSocket, falling back to SSE when it cannot connect). */
  transport: 'auto',
  /** Reconnect delays: full jitter, `random(0, min(maxDelayMs, minDelayMs × factor^attempt))`, at least `floorMs`. */
  backoff: {
    /** Base of the first retry's window, in ms. */
    minDelayMs: 500,
    /** Largest window, in ms. */
    maxDelayMs: 20_000,
    /** Growth of the window per failed attempt. */
    factor: 2,
    /** Smallest delay, in ms, so a tight failure loop cannot spin. */
    floorMs: 50,
  },
  /** How long a connection attempt may take until the hub's `connected` frame (and `authed`, with a token), in ms. */
  connectTimeoutMs: 10_000,
  /**
   * Server-silence timeout: with no byte from the hub for `heartbeat × silenceFactor + silenceGraceMs` (the hub's
   * `connected` frame says its heartbeat), the connection is taken for dead and replaced.
   */
  silenceFactor: 2,
  silenceGraceMs: 2_000,
  /** Default timeout of one `publish` / `history` / `presence` call, in ms (per-call `timeoutMs` overrides it). */
  callTimeoutMs: 10_000,
  /** Most calls waiting for a reply at once; past it calls reject with `too_many_requests`. */
  maxPendingCalls: 1_000,
  /** Refresh a token this many ms before its `expiresAt`. */
  tokenRefreshMarginMs: 10_000,
  /** Longest SSE line accepted, in characters: bounds the stream reader's buffer. */
  maxEventBytes: 16 * 1024 * 1024,
  /** With `auto`, WebSocket attempts that may fail before the connection is first made before SSE is tried. */
  autoFallbackAfter: 1,
} as const;

export type TransportChoice = 'websocket' | 'sse' | 'auto';

export interface BackoffOptions {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly floorMs: number;
}
