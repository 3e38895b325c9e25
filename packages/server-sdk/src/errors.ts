import { type ErrorCode, isErrorCode } from '@switchboard/protocol';

/** Why a call failed: the hub's error code (protocol.md section 7), or `network` / `timeout` before any answer. */
export type ApiErrorCode = ErrorCode | 'network' | 'timeout';

/** A failed API call: a stable `code`, the HTTP `status` (0 when no answer came), the hub's message. */
export class SwitchboardApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;

  constructor(code: ApiErrorCode, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SwitchboardApiError';
    this.code = code;
    this.status = status;
  }

  /** Whether trying again later may succeed (no answer, 429, or a 5xx). */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }

  /** The error an HTTP answer carries (`{"error":{"code","message"}}`), or an `internal` one for any other body. */
  static fromBody(status: number, body: unknown): SwitchboardApiError {
    const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof e?.code === 'string' && isErrorCode(e.code) ? e.code : 'internal';
    const message = typeof e?.message === 'string' ? e.message : `HTTP ${status}`;
    return new SwitchboardApiError(code, status, message);
  }
}
