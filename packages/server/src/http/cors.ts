import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OriginPolicy } from '../auth/origins.ts';

/** Request headers a browser may send cross-origin: the SDK's bearer token, JSON bodies, SSE resume, sessions. */
const ALLOW_HEADERS =
  'authorization, content-type, last-event-id, x-switchboard-session, idempotency-key, x-switchboard-channel';
/** How long a browser may cache a preflight answer (seconds). */
const PREFLIGHT_MAX_AGE = '600';

/**
 * CORS for the endpoints browsers call across origins (SSE, the HTTP API). Sets the response headers for an
 * allowed origin and answers a preflight itself; returns true when the request is fully answered.
 * The caller has already refused a disallowed origin.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, policy: OriginPolicy): boolean {
  const headers = policy.corsHeaders(req.headers.origin);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': ALLOW_HEADERS,
    'access-control-max-age': PREFLIGHT_MAX_AGE,
    'content-length': '0',
  });
  res.end();
  return true;
}
