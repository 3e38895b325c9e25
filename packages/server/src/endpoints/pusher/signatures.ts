import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { PusherApp } from '../../config/types.ts';

// Pusher's signatures, as its documentation defines them: HMAC-SHA256 with the app's secret, in lowercase hex.
// Every comparison is constant-time.

export function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

/** Whether two strings are equal, in time that does not depend on where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A channel authorization: `auth` is `<key>:<hex>`, the hex signing `<socket_id>:<channel>`, or for presence
 * channels `<socket_id>:<channel>:<channel_data>`.
 */
export function channelAuthValid(
  app: PusherApp,
  socketId: string,
  channel: string,
  auth: unknown,
  channelData?: string,
): boolean {
  if (typeof auth !== 'string') return false;
  const text = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return safeEqual(auth, `${app.key}:${hmacHex(app.secret, text)}`);
}

/** A user authentication (`pusher:signin`): the hex signs `<socket_id>::user::<user_data>`. */
export function userAuthValid(app: PusherApp, socketId: string, auth: unknown, userData: string): boolean {
  if (typeof auth !== 'string') return false;
  return safeEqual(auth, `${app.key}:${hmacHex(app.secret, `${socketId}::user::${userData}`)}`);
}

/** How far `auth_timestamp` may be from the hub's clock: Pusher's 600 seconds. */
export const REQUEST_TIMESTAMP_SKEW_S = 600;

/**
 * A REST request's signature. The string signed is `<METHOD>\n<path>\n<query>`, the query being every parameter
 * but `auth_signature`, keys lowercased, sorted by key, as `key=value` joined by `&` (values as sent, decoded);
 * a body is bound by `body_md5` (hex MD5 of the bytes). Returns null when valid, else what failed (for the log
 * only: every refusal is answered the same way).
 */
export function requestProblem(
  app: PusherApp,
  method: string,
  path: string,
  query: URLSearchParams,
  body: Buffer | null,
  nowMs: number,
): string | null {
  const params = new Map<string, string>();
  for (const [k, v] of query) {
    const key = k.toLowerCase();
    if (params.has(key)) return 'a parameter is repeated';
    params.set(key, v);
  }
  if (params.get('auth_key') !== app.key) return 'auth_key';
  if (params.get('auth_version') !== undefined && params.get('auth_version') !== '1.0') return 'auth_version';
  const timestamp = Number(params.get('auth_timestamp'));
  if (!Number.isInteger(timestamp) || Math.abs(nowMs / 1000 - timestamp) > REQUEST_TIMESTAMP_SKEW_S)
    return 'auth_timestamp';
  if (body !== null && body.length > 0) {
    const md5 = createHash('md5').update(body).digest('hex');
    if (params.get('body_md5') !== md5) return 'body_md5';
  }
  const signature = params.get('auth_signature');
  if (signature === undefined) return 'auth_signature missing';
  params.delete('auth_signature');
  const canonical = [...params.keys()]
    .sort()
    .map((k) => `${k}=${params.get(k)}`)
    .join('&');
  const expected = hmacHex(app.secret, `${method}\n${path}\n${canonical}`);
  return safeEqual(signature, expected) ? null : 'auth_signature';
}
