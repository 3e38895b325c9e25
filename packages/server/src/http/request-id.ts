import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request id a proxy or backend may send: short, and safe to put in a log line and a header. */
const INCOMING_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Where a response keeps its request's id (a property, so that no header is set before the answer is written). */
const REQUEST_ID = Symbol('switchboard.requestId');

type WithId = { [REQUEST_ID]?: string };

/**
 * New ids have the form of a UUID (8-4-4-4-12 hex digits, version 4 and variant bits set): the first 80 bits are
 * random, drawn once per process, the last 48 a counter. Unique within the process and, with a fresh prefix at
 * each start, across processes and restarts; cheaper than a random UUID per request. Not a secret: the caller
 * gets it back in the header.
 */
const PREFIX = ((): string => {
  const b = randomBytes(10);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-`;
})();
const COUNTER_PAD = '000000000000';
let counter = 0;

/** A new request id (see {@link PREFIX}). */
export function newRequestId(): string {
  counter = (counter + 1) % 0x1000000000000;
  const n = counter.toString(16);
  return PREFIX + COUNTER_PAD.slice(n.length) + n;
}

/**
 * The request's id: the caller's `X-Request-Id` when it is a safe one, else a new one. It goes back in the
 * response's `X-Request-Id` and in every log line about the request. With `setHeader` false the header is not set
 * here: the response's writer (the HTTP API's, {@link requestIdOf}) puts it in its prepared head itself.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse, setHeader = true): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : newRequestId();
  (res as WithId)[REQUEST_ID] = id;
  if (setHeader) res.setHeader('x-request-id', id);
  return id;
}

/** The id `assignRequestId` gave the response's request. */
export function requestIdOf(res: ServerResponse): string | undefined {
  return (res as WithId)[REQUEST_ID];
}
