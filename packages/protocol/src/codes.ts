/**
 * Every error the hub reports carries one of these stable codes, on every surface: a WebSocket `error` frame,
 * an SSE `error` event, and an HTTP API body `{"error":{"code","message"}}`. `status` is the HTTP status used
 * when the error answers an HTTP request. docs/protocol.md lists every code; a test keeps the two in step.
 */
export const ERROR_CODES = {
  bad_request: { status: 400, summary: 'The command or request is malformed (a missing or mistyped field).' },
  invalid_json: { status: 400, summary: 'The frame or body is not valid JSON.' },
  unknown_command: { status: 400, summary: 'The command `type` is not one the hub knows.' },
  invalid_channel: {
    status: 400,
    summary: 'The channel name is empty, too long, or has characters outside the allowed set.',
  },
  bad_position: { status: 400, summary: 'A `since` position is not an `{epoch, offset}` object.' },
  bad_cursor: {
    status: 400,
    summary: 'An SSE `Last-Event-ID` or `since` cursor is malformed or belongs to another channel set.',
  },
  too_many_channels: { status: 400, summary: 'The connection would exceed its limit of channels.' },
  already_subscribed: { status: 409, summary: 'The connection is already subscribed to the channel.' },
  not_subscribed: { status: 409, summary: 'The connection is not subscribed to the channel.' },
  unauthorized: { status: 401, summary: 'No valid credentials were presented.' },
  forbidden: {
    status: 403,
    summary: 'The credentials do not allow this action (for example client publishing is off).',
  },
  origin_not_allowed: {
    status: 403,
    summary:
      'The request comes from a browser origin that is not on the allow-list (`server.allowedOrigins`).',
  },
  not_found: { status: 404, summary: 'No such endpoint, connection or user.' },
  method_not_allowed: { status: 405, summary: 'The endpoint does not accept this HTTP method.' },
  payload_too_large: { status: 413, summary: 'The frame, message or request body is larger than allowed.' },
  unsupported_media_type: { status: 415, summary: 'The request body must be `application/json`.' },
  too_many_requests: { status: 429, summary: 'A rate limit was hit; retry later.' },
  channel_full: {
    status: 503,
    summary: "The channel has its namespace's most subscribers on this node (`maxSubscribers`); retry later.",
  },
  too_many_connections: {
    status: 503,
    summary: 'The hub is at its connection limit; retry later with backoff.',
  },
  unavailable: {
    status: 503,
    summary: 'The engine cannot serve the request right now (for example the broker is down).',
  },
  shutting_down: {
    status: 503,
    summary: 'The hub is draining before it stops; reconnect to another node or retry later.',
  },
  backend_unavailable: {
    status: 503,
    summary:
      "The app backend's proxy hook failed, is overloaded, or its circuit breaker is open; the action was refused (fail-closed). Retry later.",
  },
  backend_timeout: {
    status: 504,
    summary:
      "The app backend's proxy hook did not answer within `proxy.timeout`; the action was refused. Retry later.",
  },
  internal: {
    status: 500,
    summary: 'An unexpected server error; the details are in the hub log, never in the reply.',
  },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}

export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/**
 * WebSocket close codes, and the `code` of a `disconnect` frame on either transport.
 *
 * The range says what a client should do:
 * - 4000–4499: reconnect with backoff and resume from the last position.
 * - 4500–4999: do not reconnect automatically; something must change first (credentials, the client's code).
 * Standard codes the hub can also produce: 1007 (invalid UTF-8) and 1009 (frame too large), both terminal.
 */
export const CLOSE_CODES = {
  shutdown: {
    code: 4000,
    reconnect: true,
    summary: 'The hub is stopping or restarting; reconnect (to any node).',
  },
  slow_consumer: {
    code: 4001,
    reconnect: true,
    summary: 'The connection fell too far behind (outgoing buffer limit); reconnect and resume from history.',
  },
  heartbeat_timeout: { code: 4002, reconnect: true, summary: 'The peer did not answer heartbeats in time.' },
  server_error: { code: 4003, reconnect: true, summary: 'An unexpected server error on this connection.' },
  reconnect_requested: {
    code: 4004,
    reconnect: true,
    summary: 'Disconnected through the HTTP API, with reconnect allowed.',
  },
  connection_limit: {
    code: 4005,
    reconnect: true,
    summary: 'The hub is full; reconnect later with backoff.',
  },
  token_expired: {
    code: 4006,
    reconnect: true,
    summary: 'The connection token expired; reconnect with a fresh one.',
  },
  backend_unavailable: {
    code: 4007,
    reconnect: true,
    summary: "The app backend's connect hook failed or did not answer in time; reconnect with backoff.",
  },
  bad_request: { code: 4500, reconnect: false, summary: 'The client broke the protocol beyond repair.' },
  unauthorized: { code: 4501, reconnect: false, summary: 'The credentials were refused.' },
  forbidden: { code: 4502, reconnect: false, summary: 'The connection is not allowed.' },
  disconnected: {
    code: 4503,
    reconnect: false,
    summary: 'Disconnected through the HTTP API, with reconnect refused.',
  },
  too_many_errors: {
    code: 4504,
    reconnect: false,
    summary:
      'The client sent frames it was refused or that could not be read faster than `limits.errorRate`.',
  },
} as const satisfies Record<string, { code: number; reconnect: boolean; summary: string }>;

export type CloseReason = keyof typeof CLOSE_CODES;

/** Whether a client should reconnect after a close with this code (any WebSocket code, ours or standard). */
export function shouldReconnect(code: number): boolean {
  if (code >= 4000 && code <= 4499) return true;
  if (code >= 4500 && code <= 4999) return false;
  // Standard codes: normal closure and protocol/data errors are final; going-away, abnormal and server errors are not.
  return !(
    code === 1000 ||
    code === 1002 ||
    code === 1003 ||
    code === 1007 ||
    code === 1008 ||
    code === 1009
  );
}
