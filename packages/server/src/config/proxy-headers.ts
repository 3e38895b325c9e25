/**
 * Headers the hub sets itself on a hook request, or that describe one hop only: forwarding the client's would
 * break the request or mislead the backend about it.
 */
const NOT_FORWARDABLE = new Set([
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-authorization',
  'proxy-connection',
]);

/** Null when `name` is a header `proxy.headers` may forward, else what is wrong with it. */
export function forwardableHeaderError(name: string): string | null {
  if (!/^[a-z0-9!#$%&'*+\-.^_`|~]{1,64}$/.test(name))
    return `expected a lower-case header name, got ${JSON.stringify(name.slice(0, 64))}`;
  if (NOT_FORWARDABLE.has(name) || name.startsWith('sec-websocket-'))
    return `${name} describes the client's own request and cannot be forwarded`;
  return null;
}
