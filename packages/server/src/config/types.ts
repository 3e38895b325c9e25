import { WEBHOOK_EVENT_NAMES, type WebhookEventName } from '@switchboard/protocol';

/**
 * The hub's resolved configuration: every field present, every unit normalized (milliseconds, bytes).
 * `config/schema.ts` validates raw input (file, environment, flags) into this shape; `config/defaults.ts` holds
 * every default in one place. docs/configuration.md documents each field.
 */
export interface Config {
  readonly server: {
    /** Interface to listen on. */
    readonly host: string;
    /** TCP port; 0 picks a free one. */
    readonly port: number;
    /** Most concurrent client connections (WebSocket + SSE); more are refused with 503 / close 4005. */
    readonly maxConnections: number;
    /** Time a client has to send complete request headers (slowloris guard). */
    readonly headersTimeoutMs: number;
    /** Time a client has to send a complete HTTP API request body. */
    readonly requestTimeoutMs: number;
    /** On SIGTERM/SIGINT, how long to wait for connections to drain before closing them hard. */
    readonly shutdownTimeoutMs: number;
    /** Serve the inspector page at `/`. */
    readonly inspector: boolean;
    /**
     * Browser origins allowed to open WebSocket and SSE connections and call the HTTP API (exact origins or
     * `https://*.example.com`). `["*"]`: any origin, without CORS credentials. Requests without `Origin` pass.
     */
    readonly allowedOrigins: readonly string[];
    /** Offer WebSocket per-message deflate; decompressed messages stay bounded by `limits.maxFrameBytes`. */
    readonly perMessageDeflate: boolean;
    /** Serve wire version 2 (compact message frames) to clients that ask with `wire=2`. */
    readonly compactFrames: boolean;
    /**
     * TLS on the hub's port: PEM certificate chain and private key files. Both set: the port speaks TLS only,
     * with ALPN offering HTTP/2 (`h2`) and HTTP/1.1; both empty: plain TCP (HTTP/1.1, and HTTP/2 with prior
     * knowledge). Read once at start-up.
     */
    readonly tls: { readonly cert: string; readonly key: string };
    readonly http2: {
      /** Most concurrent streams a client may open on one HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
      readonly maxConcurrentStreams: number;
    };
  };
  readonly api: {
    /** Accepted API keys (`Authorization: Bearer <key>`). Empty: the hub generates one at start-up and prints it. */
    readonly keys: readonly string[];
    /** API keys that may only publish (`/api/publish`, `/api/broadcast`). */
    readonly publishKeys: readonly string[];
    /** Largest HTTP API request body. */
    readonly maxBodyBytes: number;
  };
  readonly auth: {
    /** HMAC secret for HS256/384/512 connection tokens ('' = none). At least 32 bytes. */
    readonly secret: string;
    /** Public key (PEM or JWK JSON) for RS*, PS*, ES256/384 or EdDSA tokens ('' = none). */
    readonly publicKey: string;
    /** JWKS URL to fetch verification keys from ('' = none); refetched on an unknown `kid`. */
    readonly jwksUrl: string;
    /** Least time between two JWKS fetches (an unknown `kid` cannot make the hub fetch more often). */
    readonly jwksCooldownMs: number;
    /** Narrows the accepted algorithms (empty: every algorithm the configured key can verify). */
    readonly algorithms: readonly string[];
    /** Required `aud` ('' = not checked). */
    readonly audience: string;
    /** Required `iss` ('' = not checked). */
    readonly issuer: string;
    /** Clock skew tolerated on `exp` and `nbf`. */
    readonly leewayMs: number;
    /** With a key configured: may connections without a token subscribe (default namespace)? */
    readonly anonymous: boolean;
    /** With anonymous access off: how long a WebSocket may stay open without `auth`. */
    readonly connectTimeoutMs: number;
    /** Name of the HttpOnly cookie an SSE request may carry its token in. */
    readonly cookie: string;
    /** Channel patterns whose subscribers must present a subscription token. */
    readonly subscriptionTokenChannels: readonly string[];
    /** Life of a `POST /api/tickets` ticket (single-use). */
    readonly ticketTtlMs: number;
  };
  readonly engine: {
    /** `memory`, or later a `redis://` / `nats://` URL. */
    readonly url: string;
  };
  readonly limits: {
    /** Largest publication payload (JSON text bytes). */
    readonly maxMessageBytes: number;
    /** Largest WebSocket frame a client may send (also bounds commands). */
    readonly maxFrameBytes: number;
    /** Most channels one connection may subscribe to (WebSocket) or name (SSE). */
    readonly maxChannelsPerConnection: number;
    /** Longest channel name. */
    readonly maxChannelLength: number;
    /** A connection whose unsent output exceeds this many bytes... */
    readonly maxOutgoingBytes: number;
    /** ...for longer than this is disconnected as a slow consumer (close 4001); at twice the bytes, at once. */
    readonly maxOutgoingMs: number;
    /**
     * The hub-wide budget for bytes queued on all connections together: past it the connections holding the most
     * are shed as slow consumers (4001) down to nine tenths of it, and over nine tenths new connections are
     * refused (503 `too_many_connections`). 0 = no hub-wide budget.
     */
    readonly maxTotalOutgoingBytes: number;
    /** Largest `limit` of a history request. */
    readonly maxHistoryLimit: number;
    /** New connections (WebSocket + SSE) per client IP per second, bursts of twice that (0 = unlimited). */
    readonly connectionRate: number;
    /**
     * Inbound frames per connection per second (WebSocket and Pusher messages, `POST /sse/command` requests),
     * metered before they are parsed, bursts of twice that (0 = unlimited).
     */
    readonly commandRate: number;
    /**
     * Faults per connection per second (frames over `commandRate`, frames that cannot be read), each answered with
     * an error, bursts of twice that; past it the connection is closed with 4504 `too_many_errors` (0 = unlimited).
     */
    readonly errorRate: number;
    /** Deepest nesting of arrays and objects in any JSON the hub reads (API bodies, commands, payloads). */
    readonly maxJsonDepth: number;
    /**
     * Bytes of history an authenticated connection may read a second (`history` commands, and what a resuming
     * subscription recovers, over WebSocket and SSE), bursts of twice that; past it `too_many_requests`
     * (0 = unlimited).
     */
    readonly historyReadRate: number;
    /** The same for a connection without credentials. */
    readonly anonymousHistoryReadRate: number;
    /** Client publishes per connection per second, bursts of twice that (0 = unlimited). */
    readonly publishRate: number;
    /** HTTP API requests per API key per second, bursts of twice that (0 = unlimited). */
    readonly apiRate: number;
  };
  /** The default namespace: what every channel does unless its namespace (`namespaces`) says otherwise. */
  readonly channel: ChannelConfig;
  /**
   * Namespaces by name: a channel `chat:lobby` takes the options of namespace `chat`; each option a namespace
   * leaves out is the default namespace's (`channel`). A channel whose prefix names no namespace, or that has no
   * `:`, uses the default namespace.
   */
  readonly namespaces: NamespaceMap;
  readonly heartbeat: {
    /** Interval between server heartbeats (WebSocket ping + `ping` frame; SSE comment). */
    readonly intervalMs: number;
    /** A WebSocket peer silent for this long after a ping is dropped (close 4002). */
    readonly timeoutMs: number;
  };
  readonly sse: {
    /** `retry:` hint sent at the start of every stream, in milliseconds. */
    readonly retryMs: number;
  };
  readonly idempotency: {
    /** How long a publish idempotency key is remembered. */
    readonly ttlMs: number;
  };
  /**
   * The Pusher Channels dialect (docs/pusher.md): apps whose pusher-js clients connect at `/app/{key}` and whose
   * server SDKs call `/apps/{id}/…`. Live when at least one app is configured.
   */
  readonly pusher: {
    /** One app's id, set with its key and secret (typically from the environment); '' for none. */
    readonly appId: string;
    /** That app's key (what pusher-js is given). */
    readonly appKey: string;
    /** That app's secret (signs channel authorizations and REST requests). */
    readonly appSecret: string;
    /** Where that app's webhooks go ('' = none). */
    readonly appWebhookUrl: string;
    /** More apps, each `{id, key, secret}` and optionally `webhookUrl`. */
    readonly apps: readonly PusherApp[];
    /** Client events (`client-…`) per connection per second; more are refused with `pusher:error` 4301. */
    readonly clientEventRate: number;
    /**
     * Most users on one presence channel (Pusher's limit is 100): a subscriber that would be one more is refused.
     * Each Pusher presence subscriber keeps the channel's member list, so this bounds that memory.
     */
    readonly maxPresenceMembers: number;
  };
  /** The operators' console (`/admin` and `/admin/api/…`, docs/admin.md). Off while no admin key is configured. */
  readonly admin: {
    /**
     * Admin API keys (`Authorization: Bearer <key>`): the console, its JSON API, and `/metrics`. Distinct from the
     * `api` keys, which app backends hold. Empty: no console, no admin API.
     */
    readonly keys: readonly string[];
  };
  /** Where `/metrics` is served and who may read it (docs/observability.md). */
  readonly metrics: {
    /**
     * A bearer token that may read `/metrics` and nothing else (what Prometheus is given). With it or an admin key
     * configured, `/metrics` on the hub's port needs one of them; with neither, it is open.
     */
    readonly token: string;
    /** A second listener serving only `/metrics`, unauthenticated, at this port; 0 for none. */
    readonly port: number;
    /** Interface of that listener. */
    readonly host: string;
  };
  /**
   * Proxy hooks (docs/backend.md): HTTP endpoints on the app backend the hub asks before it lets a connection
   * in or refreshes it. The per-channel hooks (subscribe, publish, rpc) are namespace options (`channel.proxy`).
   */
  readonly proxy: {
    /** Asked when a connection opens (WebSocket upgrade, SSE stream): who it is, or a refusal ('' = none). */
    readonly connect: string;
    /** Asked when a connection's credentials expire: extend them, or end it ('' = none: 4006 as usual). */
    readonly refresh: string;
    /** A hook call that has not answered by then fails with `backend_timeout`. */
    readonly timeoutMs: number;
    /** Calls in flight per hook and URL; one more fails at once with `backend_unavailable`. */
    readonly maxConcurrency: number;
    /** Request headers of the client's connection forwarded to every hook (lower-case names). */
    readonly headers: readonly string[];
    /** Consecutive failures (errors, timeouts) of one hook that open its circuit breaker. */
    readonly breakerFailures: number;
    /** How long an open breaker fails calls at once before it lets one trial call through. */
    readonly breakerCooldownMs: number;
  };
  /** Signed webhooks to the app backend (docs/backend.md): what happened on the hub, batched, at least once. */
  readonly webhooks: {
    /** Where events are POSTed ('' = none). */
    readonly url: string;
    /** Signs each request (`Switchboard-Signature`); at least 32 characters, required with `url`. */
    readonly secret: string;
    /** The events sent; the others are not even collected. */
    readonly events: readonly WebhookEventName[];
    /** Most events in one request. */
    readonly batchSize: number;
    /** Most events waiting to be sent; past it the oldest are dropped, counted and logged. */
    readonly maxQueue: number;
    /** Attempts per request (the first included) before its events are dropped, counted and logged. */
    readonly maxAttempts: number;
    /** A request not answered by then counts as failed (and is retried). */
    readonly timeoutMs: number;
  };
  readonly log: {
    readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  };
  /**
   * Refuse to start on an unknown `SWITCHBOARD_*` environment variable instead of warning about it. Kubernetes
   * service links (a Service named `switchboard…`) are ignored either way.
   */
  readonly strictEnv: boolean;
}

/** One Pusher Channels app: pusher-js connects with its key, the server SDKs sign with its secret. */
export interface PusherApp {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
  /** Where the app's webhooks are POSTed, signed with its secret; absent for none. */
  readonly webhookUrl?: string;
}

/** The webhook events, as their `name` field says. */
export const WEBHOOK_EVENTS = WEBHOOK_EVENT_NAMES;
export type { WebhookEventName };

/** Delivery policies; see docs/protocol.md for what a subscriber sees under each. */
export const DELIVERY_POLICIES = ['all', 'latest', 'drop-oldest'] as const;
export type DeliveryPolicy = (typeof DELIVERY_POLICIES)[number];

/** What a channel does: the `channel` section (the default namespace) and each namespace, once resolved. */
export interface ChannelConfig {
  readonly history: {
    /** Publications kept per channel; 0 turns history (and recovery) off. */
    readonly size: number;
    readonly ttlMs: number;
    readonly metaTtlMs: number;
  };
  /** Track who is subscribed (queryable through `presence`). */
  readonly presence: boolean;
  /** Send `join` / `leave` frames to subscribers. Needs `presence`. */
  readonly joinLeave: boolean;
  /** Let clients publish (WebSocket `publish`, and SSE clients through their companion endpoint). */
  readonly clientPublish: boolean;
  /** A publishing client gets its own publications too (its other subscriptions to the channel do). */
  readonly echo: boolean;
  /** Anonymous connections (no authenticated user) may subscribe. */
  readonly anonymous: boolean;
  /** Most subscribers of one channel on this node; 0 for no limit. */
  readonly maxSubscribers: number;
  /** Largest publication payload in this namespace; 0 for `limits.maxMessageBytes`. */
  readonly maxMessageBytes: number;
  /** A new subscriber gets the channel's latest publication at once, before live ones. Needs history. */
  readonly lastValue: boolean;
  readonly delivery: {
    /** `all` (every publication; a subscriber too far behind is disconnected 4001), `latest` or `drop-oldest`. */
    readonly policy: DeliveryPolicy;
    /** `latest` only: a top-level field of the data; each of its values keeps its own latest publication. */
    readonly conflateKey: string;
    /** Publications (`drop-oldest`) or keys (`latest` with `conflateKey`) held per subscriber while it is behind. */
    readonly queueSize: number;
    /** Most deliveries per second per subscriber and channel (`latest`, `drop-oldest`); 0 for no cap. */
    readonly maxRate: number;
  };
  /** The app backend's hooks for this namespace's channels ('' = none); see docs/backend.md. */
  readonly proxy: {
    /** Decides each subscribe (instead of the token's patterns and `anonymous`), optionally with presence info. */
    readonly subscribe: string;
    /** Allows, refuses or rewrites each client publication (`clientPublish` must be on). */
    readonly publish: string;
    /** Answers `rpc` commands whose method is in this namespace (`<namespace>:<name>`; others: the default's). */
    readonly rpc: string;
  };
}

/** One namespace's options: any part of {@link ChannelConfig}, in its units; the rest is the default namespace's. */
export type NamespaceOverrides = {
  readonly [K in keyof ChannelConfig]?: ChannelConfig[K] extends object
    ? { readonly [J in keyof ChannelConfig[K]]?: ChannelConfig[K][J] }
    : ChannelConfig[K];
};

/** Namespace name (channel characters except `:`) to its options. */
export type NamespaceMap = { readonly [name: string]: NamespaceOverrides };
