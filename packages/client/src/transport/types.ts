import type { ClientCommand, Position, ServerFrame } from '@switchboard/protocol';

export type TransportKind = 'websocket' | 'sse';

/** How a transport ended. `code` is a close code of docs/protocol.md section 8 (1006 when the link broke). */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
  readonly reconnect: boolean;
  /** The transport ended before the hub's `connected` frame: the hub (or a proxy) could not be reached. */
  readonly beforeConnected: boolean;
}

/** What a transport reports to the client. A transport calls `closed` at most once, and never after `close()`. */
export interface TransportHandlers {
  frame(frame: ServerFrame): void;
  /** Any sign of life from the hub, frames and SSE heartbeat comments alike: resets the silence timer. */
  alive(): void;
  closed(info: CloseInfo): void;
}

/**
 * One connection to the hub. The client owns the state machines; a transport only moves frames and says when it
 * ended. A transport with `fixedChannels` (SSE) is opened with its channel set and positions, and is replaced
 * when they change; the others (WebSocket) take `subscribe` and `unsubscribe` commands.
 */
export interface Transport {
  readonly kind: TransportKind;
  readonly fixedChannels: boolean;
  /** False when heartbeats are invisible (a native EventSource hides SSE comments): silence is probed with `ping`. */
  readonly seesHeartbeats: boolean;
  send(command: ClientCommand): void;
  /** Ends the transport without calling `closed`. Idempotent. */
  close(): void;
}

/** The globals a transport may need; injected, so the same code runs in browsers, workers and Node. */
export interface TransportDeps {
  readonly WebSocket: typeof WebSocket | undefined;
  readonly EventSource: typeof EventSource | undefined;
  readonly fetch: typeof fetch | undefined;
}

export interface OpenParams {
  /** The hub's base URL (`http(s)://host:port`, no trailing slash). */
  readonly base: string;
  readonly token: string | undefined;
  /**
   * The channels active when the transport opens and, for each, the position to resume after (undefined: live).
   * SSE opens its stream with them; WebSocket ignores them (subscriptions follow the `connected` frame).
   */
  readonly channels: readonly { readonly channel: string; readonly since: Position | undefined }[];
  readonly deps: TransportDeps;
  readonly maxEventBytes: number;
  readonly handlers: TransportHandlers;
}
