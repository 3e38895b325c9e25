// The origin allow-list: which browser pages may open connections to the hub and read its HTTP answers.

/**
 * One entry of `server.allowedOrigins`: `*` (any origin), an exact origin `https://app.example.com[:port]`, or a
 * wildcard subdomain `https://*.example.com` (any subdomain, at any depth, not the bare domain).
 */
export function originEntryError(entry: string): string | null {
  if (entry === '*') return null;
  const wild = entry.startsWith('https://*.') || entry.startsWith('http://*.');
  const probe = wild ? entry.replace('*.', 'x.') : entry;
  if (!URL.canParse(probe)) return 'an origin is like https://app.example.com (scheme, host, optional port)';
  const u = new URL(probe);
  if (u.origin !== probe || !/^https?:$/.test(u.protocol))
    return 'an origin is scheme://host[:port] with no path, and http or https';
  return null;
}

export class OriginPolicy {
  readonly any: boolean;
  readonly #exact: ReadonlySet<string>;
  /** `[scheme + '//', '.' + domain + optional port]` of each wildcard entry. */
  readonly #wild: readonly (readonly [string, string])[];

  constructor(entries: readonly string[]) {
    this.any = entries.includes('*');
    this.#exact = new Set(entries.filter((e) => e !== '*' && !e.includes('*')));
    this.#wild = entries
      .filter((e) => e.includes('://*.'))
      .map((e) => {
        const [scheme, rest] = e.split('://*') as [string, string];
        return [`${scheme}://`, rest] as const;
      });
  }

  /**
   * Whether a request with this `Origin` header may go on. No header: not a browser page on another site
   * (browsers send `Origin` on every cross-origin request, WebSocket upgrades included), so nothing to check.
   */
  allows(origin: string | undefined): boolean {
    if (origin === undefined || this.any) return true;
    if (this.#exact.has(origin)) return true;
    for (const [scheme, suffix] of this.#wild) {
      if (!origin.startsWith(scheme) || !origin.endsWith(suffix)) continue;
      const label = origin.slice(scheme.length, origin.length - suffix.length);
      if (/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(label)) return true;
    }
    return false;
  }

  /**
   * CORS response headers for an allowed request. With `*` the answer is `Access-Control-Allow-Origin: *`
   * and never credentials: a hub open to every origin must not let any page read a user's cookie-authenticated
   * stream. With a list, the request's own origin is echoed, with credentials.
   */
  corsHeaders(origin: string | undefined): Record<string, string> {
    if (origin === undefined) return {};
    if (this.any) return { 'access-control-allow-origin': '*' };
    if (!this.allows(origin)) return {};
    return {
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    };
  }
}
