import type { ClientInfo, Position } from '@switchboard/protocol';

export interface CallOptions {
  /** Reject with `timeout` when no reply came within this many ms. Default: `CLIENT_DEFAULTS.callTimeoutMs`. */
  readonly timeoutMs?: number;
}

export interface HistoryOptions extends CallOptions {
  /** Only publications after this position; the result says `recovered: false` when some are gone. */
  readonly since?: Position;
  /** At most this many (the hub caps it at `limits.maxHistoryLimit`). */
  readonly limit?: number;
}

/** Where a publish landed. */
export interface Published extends Position {
  readonly channel: string;
}

export interface Publication<T> extends Position {
  readonly data: T;
  readonly info?: ClientInfo;
}

export interface HistoryResult<T> extends Position {
  readonly channel: string;
  readonly publications: readonly Publication<T>[];
  /** Present when `since` was given: false when publications after it are no longer all held. */
  readonly recovered?: boolean;
}
