import type { ErrorCode } from './codes.ts';
import type { Position } from './position.ts';

/** Version of the wire protocol described in docs/protocol.md; sent in the `connected` frame. */
export const PROTOCOL_VERSION = 1;

/** A command id: echoed in the reply. A safe integer or a string of at most 64 characters. */
export type CommandId = number | string;

/** One subscriber as presence reports it. `user` is null for anonymous connections. */
export interface ClientInfo {
  readonly client: string;
  readonly user: string | null;
  readonly info?: unknown;
}

/**
 * A publication as history returns it. Its payload is `data` (a JSON value) or, for bytes, `data_b64` (standard
 * padded base64): exactly one of the two is present.
 */
export interface PublicationView extends Position {
  readonly data?: unknown;
  readonly data_b64?: string;
  readonly info?: ClientInfo;
}

// ---- Frames the hub sends (server -> client). Identical JSON on WebSocket and SSE. ----

export interface ConnectedFrame {
  readonly type: 'connected';
  readonly client: string;
  readonly version: number;
  readonly transport: 'websocket' | 'sse';
  /** Who the connection is: null on WebSocket (until `auth`) and on anonymous SSE streams. */
  readonly user: string | null;
  /** Milliseconds between server heartbeats; a client may treat 2x this of silence as a dead connection. */
  readonly heartbeat: number;
  /** SSE only: the secret that binds `POST /sse/command` requests to this stream (header `X-Switchboard-Session`). */
  readonly session?: string;
  /** WebSocket: `2` when the client asked for `wire=2` and the hub speaks it (compact message frames). */
  readonly wire?: 2;
}

/** The reply to `auth`: who the connection now is, and when its token expires (ms since the epoch). */
export interface AuthedFrame {
  readonly type: 'authed';
  readonly id?: CommandId;
  readonly user: string | null;
  readonly expiresAt: number | null;
}

export interface SubscribedFrame extends Position {
  readonly type: 'subscribed';
  readonly id?: CommandId;
  readonly channel: string;
  /** The channel keeps history, so a later `since` from a position in this epoch can be recovered. */
  readonly recoverable: boolean;
  /** Present only when the subscribe asked for a position: whether every missed publication follows. */
  readonly recovered?: boolean;
  /** The channel's delivery policy when it is not `all` (see docs/protocol.md, "Delivery policies"). */
  readonly delivery?: 'latest' | 'drop-oldest';
  /** Most deliveries per second this subscription gets, when capped. */
  readonly rate?: number;
  /**
   * Wire version 2 only: the channel's alias in compact message frames (`[sid,data]`, `[sid,offset,data]`) on
   * this connection; see docs/protocol.md, "Wire version 2: compact message frames".
   */
  readonly sid?: number;
}

/** `drop-oldest`: `count` publications of `channel` were dropped for this subscriber just before the next message. */
export interface SkippedFrame {
  readonly type: 'skipped';
  readonly channel: string;
  readonly count: number;
}

export interface UnsubscribedFrame {
  readonly type: 'unsubscribed';
  readonly id?: CommandId;
  readonly channel: string;
}

/**
 * A publication. Its payload is `data` (a JSON value) or, for bytes, `data_b64` (standard padded base64):
 * exactly one of the two is present. On WebSocket connections that negotiated `switchboard.binary` a publication
 * of bytes comes as a binary frame instead (binary.ts), its header this frame without either field.
 */
export interface MessageFrame extends Position {
  readonly type: 'message';
  readonly channel: string;
  readonly data?: unknown;
  readonly data_b64?: string;
  readonly info?: ClientInfo;
}

export interface PublishedFrame extends Position {
  readonly type: 'published';
  readonly id?: CommandId;
  readonly channel: string;
}

export interface HistoryFrame extends Position {
  readonly type: 'history';
  readonly id?: CommandId;
  readonly channel: string;
  readonly publications: readonly PublicationView[];
  /** False when `since` was given and publications after it are no longer all in history. */
  readonly recovered?: boolean;
}

export interface PresenceFrame {
  readonly type: 'presence';
  readonly id?: CommandId;
  readonly channel: string;
  readonly clients: readonly ClientInfo[];
}

export interface JoinFrame {
  readonly type: 'join';
  readonly channel: string;
  readonly client: ClientInfo;
}

export interface LeaveFrame {
  readonly type: 'leave';
  readonly channel: string;
  readonly client: ClientInfo;
}

export interface PingFrame {
  readonly type: 'ping';
}

export interface PongFrame {
  readonly type: 'pong';
  readonly id?: CommandId;
}

/** The answer to an `rpc` command: the data the app backend's `rpc` hook returned. */
export interface RpcFrame {
  readonly type: 'rpc';
  readonly id?: CommandId;
  readonly method: string;
  readonly data: unknown;
}

export interface ErrorFrame {
  readonly type: 'error';
  readonly id?: CommandId;
  readonly code: ErrorCode;
  readonly message: string;
  readonly channel?: string;
}

/** Sent just before the hub ends a connection, on both transports (WebSocket also uses `code` as close code). */
export interface DisconnectFrame {
  readonly type: 'disconnect';
  readonly code: number;
  readonly reason: string;
  readonly reconnect: boolean;
}

export type ServerFrame =
  | ConnectedFrame
  | AuthedFrame
  | SubscribedFrame
  | UnsubscribedFrame
  | MessageFrame
  | SkippedFrame
  | PublishedFrame
  | HistoryFrame
  | PresenceFrame
  | JoinFrame
  | LeaveFrame
  | PingFrame
  | PongFrame
  | RpcFrame
  | ErrorFrame
  | DisconnectFrame;

// ---- Commands a client sends over WebSocket (client -> server). ----

export interface SubscribeCommand {
  readonly type: 'subscribe';
  readonly id?: CommandId;
  readonly channel: string;
  /** Resume after this position: the reply says `recovered`, and every missed publication follows it. */
  readonly since?: Position;
  /** A subscription token, for channels that require one. */
  readonly token?: string;
  /** Most deliveries per second wanted (channels whose policy is `latest` or `drop-oldest`); never above the cap. */
  readonly rate?: number;
}

/** Authenticates the connection with a JWT; sent again on a live connection, it refreshes the token. */
export interface AuthCommand {
  readonly type: 'auth';
  readonly id?: CommandId;
  readonly token: string;
}

export interface UnsubscribeCommand {
  readonly type: 'unsubscribe';
  readonly id?: CommandId;
  readonly channel: string;
}

export interface PublishCommand {
  readonly type: 'publish';
  readonly id?: CommandId;
  readonly channel: string;
  /**
   * The payload: a JSON value, or a `Uint8Array` for bytes (sent as `data_b64` in JSON, or as a binary frame's
   * payload). The parser decodes `data_b64`, so a validated command always has `data`.
   */
  readonly data: unknown;
  readonly idempotencyKey?: string;
}

export interface HistoryCommand {
  readonly type: 'history';
  readonly id?: CommandId;
  readonly channel: string;
  readonly since?: Position;
  readonly limit?: number;
}

export interface PresenceCommand {
  readonly type: 'presence';
  readonly id?: CommandId;
  readonly channel: string;
}

/** A request answered by the app backend (its `rpc` hook) through the hub; the answer is an `rpc` frame. */
export interface RpcCommand {
  readonly type: 'rpc';
  readonly id?: CommandId;
  /** What to call: 1 to 255 channel-name characters; the part before the first `:` picks the namespace's hook. */
  readonly method: string;
  readonly data: unknown;
}

export interface PingCommand {
  readonly type: 'ping';
  readonly id?: CommandId;
}

export type ClientCommand =
  | AuthCommand
  | SubscribeCommand
  | UnsubscribeCommand
  | PublishCommand
  | HistoryCommand
  | PresenceCommand
  | RpcCommand
  | PingCommand;

export type CommandType = ClientCommand['type'];
