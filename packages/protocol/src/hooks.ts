// The proxy hooks' wire contract: what the hub POSTs to an app backend's hook endpoints, and what it accepts back.
// docs/backend.md documents each; the server SDK's handler helpers are typed by these.

/** What every hook request says about the connection it is for. */
export interface HookConnection {
  /** The connection's id (as in presence and `POST /api/disconnect`). */
  readonly client: string;
  readonly transport: 'websocket' | 'sse';
  /** The connection's user: from its token or an earlier connect hook; null when anonymous. */
  readonly user: string | null;
}

export interface ConnectHookRequest extends HookConnection {
  readonly hook: 'connect';
}

export interface RefreshHookRequest extends HookConnection {
  readonly hook: 'refresh';
}

export interface SubscribeHookRequest extends HookConnection {
  readonly hook: 'subscribe';
  readonly channel: string;
}

export interface PublishHookRequest extends HookConnection {
  readonly hook: 'publish';
  readonly channel: string;
  /** The data the client published. */
  readonly data: unknown;
}

export interface RpcHookRequest extends HookConnection {
  readonly hook: 'rpc';
  readonly method: string;
  readonly data: unknown;
}

export type HookRequest =
  | ConnectHookRequest
  | RefreshHookRequest
  | SubscribeHookRequest
  | PublishHookRequest
  | RpcHookRequest;

export type HookName = HookRequest['hook'];

/** The connect hook's result: the connection's identity, as a connection token's claims would give it. */
export interface ConnectHookResult {
  /** The user (1 to 255 characters). */
  readonly user: string;
  /** Client info shown in presence (at most 2 KiB of JSON). */
  readonly info?: unknown;
  /** When the identity expires (milliseconds since the epoch); absent: never (or the token's expiry). */
  readonly expiresAt?: number;
  /** Channel patterns the connection may subscribe to, publish to, and read presence of. */
  readonly subscribe?: readonly string[];
  readonly publish?: readonly string[];
  readonly presence?: readonly string[];
}

/** The refresh hook's result: the new expiry (in the future), and optionally new client info. */
export interface RefreshHookResult {
  readonly expiresAt: number;
  readonly info?: unknown;
}

/** The subscribe hook's result: allowed, with optional client info for this channel's presence. */
export interface SubscribeHookResult {
  readonly info?: unknown;
}

/** The publish hook's result: allowed; with `data`, the publication carries that data instead. */
export interface PublishHookResult {
  readonly data?: unknown;
}

/** The rpc hook's result: the data the client's `rpc` frame carries (null when absent). */
export interface RpcHookResult {
  readonly data?: unknown;
}

export interface HookResults {
  readonly connect: ConnectHookResult;
  readonly refresh: RefreshHookResult;
  readonly subscribe: SubscribeHookResult;
  readonly publish: PublishHookResult;
  readonly rpc: RpcHookResult;
}

/**
 * A hook's answer, with HTTP status 200: `{"result": …}` allows (with what the result says), `{"error": {"message"}}`
 * refuses (the client gets `forbidden` with the message, and keeps its connection). Any other status or body is
 * a backend failure: the hub refuses the action with `backend_unavailable` (fail-closed).
 */
export type HookResponse<H extends HookName> =
  | { readonly result: HookResults[H] }
  | { readonly error: { readonly message?: string } };

/** Longest refusal message the hub passes on to the client; longer ones are cut. */
export const MAX_HOOK_MESSAGE_LENGTH = 200;
