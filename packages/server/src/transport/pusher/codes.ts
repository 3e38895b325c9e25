import type { CloseReason } from '@switchboard/protocol';

/**
 * The Pusher Channels error codes the hub sends (`pusher:error` and the WebSocket close code), by Pusher's ranges:
 * 4000–4099 the client must not reconnect as it is, 4100–4199 reconnect after backing off, 4200–4299 reconnect at
 * once. 4301 is an error event only (the connection stays open). docs/pusher.md lists each; a test keeps them in
 * step.
 */
export const PUSHER_CODES = {
  4001: 'Application does not exist: no app has this key',
  4004: 'Application is over connection quota: the hub is at its connection limit',
  4006: 'Invalid version string format',
  4007: 'Unsupported protocol version: the hub speaks protocol 7 (and 5 to 7)',
  4008: 'No protocol version supplied',
  4009: 'Connection is unauthorized: refused credentials, disconnected through the API, or too many errors',
  4100: 'Over capacity: the connection fell too far behind (slow consumer); reconnect after a while',
  4200: 'Generic reconnect immediately: the hub is restarting or failed on this connection',
  4201: 'Pong reply not received: the client did not answer pings in time',
  4301: 'Client event rejected due to rate limit (error event only; the connection stays open)',
} as const;

export type PusherCode = keyof typeof PUSHER_CODES;

/** The Pusher close code for each of the hub's reasons to end a connection. */
export const PUSHER_CLOSE: Readonly<Record<CloseReason, PusherCode>> = {
  shutdown: 4200,
  slow_consumer: 4100,
  heartbeat_timeout: 4201,
  server_error: 4200,
  reconnect_requested: 4200,
  connection_limit: 4004,
  backend_unavailable: 4100,
  token_expired: 4009,
  bad_request: 4009,
  unauthorized: 4009,
  forbidden: 4009,
  disconnected: 4009,
  too_many_errors: 4009,
};
