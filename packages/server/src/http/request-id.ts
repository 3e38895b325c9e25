import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request id a proxy or backend may send: short, and safe to put in a log line and a header. */
const INCOMING_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The request's id: the caller's `X-Request-Id` when it is a safe one, else a new one. It goes back in the
 * response's `X-Request-Id` and in every log line about the request.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/** The id `assignRequestId` gave the response's request. */
export function requestIdOf(res: ServerResponse): string | undefined {
  const id = res.getHeader('x-request-id');
  return typeof id === 'string' ? id : undefined;
}
