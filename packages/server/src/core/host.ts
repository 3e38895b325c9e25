import type { HistoryQuery, HistoryResult, PresenceEntry, PublishResult } from '@switchboard/engine-kit';
import type { ClientInfo, CommandId, Position } from '@switchboard/protocol';
import type { Access } from '../auth/access.ts';
import type { Authenticator } from '../auth/types.ts';
import type { Config } from '../config/types.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Hooks } from '../proxy/hooks.ts';
import type { ChannelOptions } from './channel-options.ts';
import type { ReplySink } from './reply.ts';
import type { Subscription, SubscriptionOwner } from './subscription.ts';

/** One `subscribe`: from a WebSocket command, or from an SSE stream's URL. */
export interface SubscribeRequest {
  readonly channel: string;
  /**
   * Resume after this position. `null`: the client asked to resume from a position that could not be read (it
   * is told `recovered: false`). Undefined: start live.
   */
  readonly since?: Position | null;
  /** The command's id, echoed in the answer. */
  readonly id?: CommandId;
  /** A subscription token, for channels that require one. */
  readonly token?: string;
  /** At most this many deliveries per second (never above the namespace's cap). */
  readonly rate?: number;
  /**
   * The subscriber never gets publications whose `info.client` is its own id, whatever the channel's `echo`
   * (the Pusher dialect: client events and `socket_id` exclusion).
   */
  readonly noEcho?: boolean;
  /** This channel's presence info for the subscriber (its namespace's subscribe hook gave it). */
  readonly info?: unknown;
  /** The namespace's subscribe hook already allowed this request (an SSE stream asks before it starts). */
  readonly hooked?: boolean;
}

/** What the node needs of a session to join it to a channel. */
export interface Member extends SubscriptionOwner {
  readonly clientInfo: ClientInfo;
  /** The connection speaks wire version 2: its `subscribed` frames carry the channel's `sid`. */
  readonly compact?: boolean;
  /** False once the session closed: a join that outlives it stops. */
  readonly open: boolean;
  /** `sub` is the member's subscription to its channel from now on, so an unsubscribe finds it at once. */
  hold(sub: Subscription): void;
  /** A subscription that failed before it went live: the member forgets it. */
  release(sub: Subscription): void;
  /** The client's resume point on `channel` (an SSE stream keeps it in its cursor). */
  resumeFrom(channel: string, position: Position): void;
  /** Whether the member's history read budget lets it read now (a resume recovers from history). */
  mayReadHistory(): boolean;
  /** `bytes` of history were read for the member. */
  readHistory(bytes: number): void;
}

/** The counters a session moves. */
export type SessionMetrics = Pick<Metrics, 'rateLimited' | 'errors' | 'refused' | 'disconnects'>;

/**
 * What a session sees of its node: enough to answer its commands, and no more (no engine, no hub, no other
 * session). The node implements it; a session's tests give it a fake one.
 */
export interface SessionHost {
  readonly config: Config;
  readonly access: Pick<Access, 'check' | 'needsSubscriptionToken'>;
  readonly authenticator: Authenticator;
  readonly metrics: SessionMetrics;
  /** The app backend's proxy hooks. */
  readonly hooks: Hooks;
  channelOptions(channel: string): ChannelOptions;
  /**
   * Subscribes `member` once the session has checked its own limits and the request's credentials: admits it by
   * the channel's options, joins the hub, reads where it starts, answers `subscribed` into `reply`, then writes
   * what was missed and goes live, and joins presence. Resolves true once live; false when refused or failed
   * (the answer said why).
   */
  join(member: Member, request: SubscribeRequest, reply: ReplySink): Promise<boolean>;
  /** Ends `sub` (unsubscribe, a refused refresh, a closed session): leaves the hub, and presence if it joined. */
  leave(member: Member, sub: Subscription): void;
  publish(
    channel: string,
    data: unknown,
    options: { idempotencyKey?: string; info?: ClientInfo },
    source: 'api' | 'client',
  ): Promise<PublishResult>;
  history(channel: string, query: HistoryQuery): Promise<HistoryResult>;
  presence(channel: string): Promise<PresenceEntry[]>;
  /** Adds (or updates) the member's presence entry on `channel`, announcing a join when `announce`. */
  presenceJoin(channel: string, client: ClientInfo, announce: boolean): void;
  /** The session's user changed (its first `auth`), so disconnect-by-user finds it under the new one. */
  identified(sessionId: string, previousUser: string | null): void;
  /** The session closed: its user, and why (a close reason, or `closed` when the client went away). */
  unregister(sessionId: string, user: string | null, reason: string): void;
  logFailure(message: string, err: unknown, context: Record<string, unknown>): void;
}
