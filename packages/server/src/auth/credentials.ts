// Where an SSE request carries its credentials. Only reads headers and the URL; verification is the caller's.
import type { IncomingMessage } from 'node:http';

export type Credential =
  | { readonly kind: 'none' }
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'cookie'; readonly token: string }
  | { readonly kind: 'ticket'; readonly ticket: string }
  /** A request that tried to put a token where tokens must never go (the URL). */
  | { readonly kind: 'refused'; readonly reason: string };

/** The value of cookie `name` in a `Cookie` header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The credential of an SSE request, in order of precedence: `Authorization: Bearer` (fetch-based streams, the
 * SDK), a `?ticket=`, the HttpOnly cookie. `?token=` and `?access_token=` are refused, not ignored: a long-lived
 * token in a URL ends up in logs and browser history, and silently ignoring it would hide the mistake.
 */
export function sseCredential(req: IncomingMessage, url: URL, cookieName: string): Credential {
  if (url.searchParams.has('token') || url.searchParams.has('access_token'))
    return { kind: 'refused', reason: 'tokens never go in a URL: use a header, a cookie or a ticket' };
  // Other schemes (`Basic` from an authenticating proxy in front of the hub) are not ours: ignored.
  const auth = req.headers.authorization;
  if (auth !== undefined && /^bearer(\s|$)/i.test(auth)) {
    const match = /^Bearer +(\S+)\s*$/i.exec(auth);
    return { kind: 'bearer', token: match === null ? '' : match[1]! };
  }
  const ticket = url.searchParams.get('ticket');
  if (ticket !== null) return { kind: 'ticket', ticket };
  const cookie = cookieValue(req.headers.cookie, cookieName);
  if (cookie !== undefined && cookie !== '') return { kind: 'cookie', token: cookie };
  return { kind: 'none' };
}
