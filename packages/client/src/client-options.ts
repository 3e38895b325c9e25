import type { BackoffOptions, TransportChoice } from './defaults.ts';
import { CLIENT_DEFAULTS } from './defaults.ts';
import type { SwitchboardClientError } from './errors.ts';
import type { TokenOption } from './tokens.ts';
import type { OpenParams, Transport, TransportKind } from './transport/types.ts';

export type ClientState = 'disconnected' | 'connecting' | 'connected';

/** Why the client changed state. */
export type ClientReason =
  | 'connect'
  | 'connected'
  | 'disconnect'
  /** The transport closed or broke (`code` says how). */
  | 'connection_lost'
  /**
   * An attempt ended before the hub's `connected` frame: nothing listening, a refused upgrade or stream (`code`
   * says how). The state stays `connecting` (the event is `connecting → connecting`), with an `error` event.
   */
  | 'connect_failed'
  /** The hub ended the connection for good (`code` 4500–4999, or a final standard code). */
  | 'server_disconnect'
  /** No `connected` (or `authed`) frame within `connectTimeoutMs`. */
  | 'connect_timeout'
  /** Nothing from the hub for longer than its heartbeat allows. */
  | 'silence'
  /** The token was refused (and a fresh one from `getToken`, if any, too). */
  | 'unauthorized'
  /** `getToken()` threw or returned nothing usable. */
  | 'token_error';

export interface ClientStateEvent {
  readonly from: ClientState;
  readonly to: ClientState;
  readonly reason: ClientReason;
  /** The close code, when a connection ended. */
  readonly code?: number;
}

export interface ClientEvents extends Record<string, unknown> {
  state: ClientStateEvent;
  /** The connection is up: the hub's client id and the transport in use. */
  connected: { readonly client: string; readonly transport: TransportKind };
  /**
   * Problems that belong to no call: a failed connection attempt (its cause), a token callback that failed, an
   * `error` frame with no id.
   */
  error: SwitchboardClientError;
}

/** Opens a transport; the default picks WebSocket or SSE. The tab-sharing link replaces it. */
export type Connector = (kind: TransportKind, params: OpenParams) => Transport;

export interface ClientOptions {
  /** Default `auto`: WebSocket, falling back to SSE when WebSocket cannot connect. */
  readonly transport?: TransportChoice;
  /** A connection token, or `getToken()` called again whenever the token expires or is refused. */
  readonly token?: TokenOption;
  readonly WebSocket?: typeof WebSocket;
  readonly EventSource?: typeof EventSource;
  readonly fetch?: typeof fetch;
  readonly backoff?: Partial<BackoffOptions>;
  readonly connectTimeoutMs?: number;
  readonly callTimeoutMs?: number;
  readonly silenceFactor?: number;
  readonly silenceGraceMs?: number;
  readonly maxPendingCalls?: number;
  readonly tokenRefreshMarginMs?: number;
  readonly autoFallbackAfter?: number;
  /** Longest SSE line accepted, in characters (default 16 Mi): bounds the stream reader's buffer. */
  readonly maxEventBytes?: number;
  /** Replaces how transports are opened (used by the tab-sharing link). */
  readonly connector?: Connector;
  /** Connect at once (default true). */
  readonly autoConnect?: boolean;
}

export type Timer = ReturnType<typeof setTimeout>;

export function timer(fn: () => void, ms: number): Timer {
  const t = setTimeout(fn, ms);
  (t as { unref?: () => void }).unref?.();
  return t;
}

/** `ws://h/ws`, `http://h/` or `/` (in a page) → `http://h`. */
export function baseUrl(url: string): string {
  const loc = (globalThis as { location?: { href: string } }).location;
  const u = new URL(url, loc?.href);
  const protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
  const path = u.pathname.replace(/\/ws$/, '').replace(/\/+$/, '');
  return `${protocol}//${u.host}${path}`;
}

export type ResolvedOptions = Required<
  Omit<ClientOptions, 'token' | 'WebSocket' | 'EventSource' | 'fetch' | 'connector' | 'backoff'>
> & { readonly backoff: BackoffOptions };

/** Every option with its default filled in from `CLIENT_DEFAULTS`. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  const d = CLIENT_DEFAULTS;
  return {
    transport: options.transport ?? d.transport,
    backoff: { ...d.backoff, ...options.backoff },
    connectTimeoutMs: options.connectTimeoutMs ?? d.connectTimeoutMs,
    callTimeoutMs: options.callTimeoutMs ?? d.callTimeoutMs,
    silenceFactor: options.silenceFactor ?? d.silenceFactor,
    silenceGraceMs: options.silenceGraceMs ?? d.silenceGraceMs,
    maxPendingCalls: options.maxPendingCalls ?? d.maxPendingCalls,
    tokenRefreshMarginMs: options.tokenRefreshMarginMs ?? d.tokenRefreshMarginMs,
    autoFallbackAfter: options.autoFallbackAfter ?? d.autoFallbackAfter,
    maxEventBytes: options.maxEventBytes ?? d.maxEventBytes,
    autoConnect: options.autoConnect ?? true,
  };
}
