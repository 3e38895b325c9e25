import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ErrorCode, statusOf } from '@switchboard/protocol';

import { requestIdOf } from './request-id.ts';

const CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * The head of a JSON answer as a flat `[name, value, …]` list, made once and refilled per response: no header
 * object is built or merged per response. `writeHead` reads it synchronously, so one list serves every response.
 * Slots 5 and 7 are the body's length and the request id.
 */
const HEAD: string[] = [
  'content-type',
  CONTENT_TYPE,
  'cache-control',
  'no-store',
  'content-length',
  '',
  'x-request-id',
  '',
];

/**
 * Answers with a JSON body. The request id (kept on the response by `assignRequestId`) goes in the same prepared
 * head when no `X-Request-Id` header was set on the response before.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  const text = JSON.stringify(body);
  const id = requestIdOf(res);
  const withId = id !== undefined && !res.hasHeader('x-request-id');
  if (headers === undefined) {
    HEAD[5] = String(Buffer.byteLength(text));
    if (withId) {
      HEAD[7] = id;
      res.writeHead(status, HEAD);
    } else {
      HEAD.length = 6;
      res.writeHead(status, HEAD);
      HEAD.push('x-request-id', '');
    }
  } else {
    const head = ['content-type', CONTENT_TYPE, 'cache-control', 'no-store'];
    head.push('content-length', String(Buffer.byteLength(text)));
    if (withId) head.push('x-request-id', id);
    for (const k in headers) head.push(k, headers[k] as string);
    res.writeHead(status, head);
  }
  res.end(text);
}

/** Every HTTP error has this one shape: `{"error":{"code","message"}}`, with the code's status. */
export function sendError(
  res: ServerResponse,
  code: ErrorCode,
  message: string,
  headers?: Record<string, string>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, statusOf(code), { error: { code, message } }, headers);
}

/** Refuses a WebSocket upgrade with a plain HTTP response, before any handshake, and closes the socket. */
export function rejectUpgrade(
  socket: Duplex,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  const status = statusOf(code);
  const body = JSON.stringify({ error: { code, message } });
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  for (const [k, v] of Object.entries(headers ?? {})) head += `${k}: ${v}\r\n`;
  if (socket.writable) socket.end(`${head}\r\n${body}`);
  else socket.destroy();
}
