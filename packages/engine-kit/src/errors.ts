import { type ErrorCode, statusOf } from '@switchboard/protocol';

/**
 * The one error base of the hub and its engines. `code` is stable and documented (docs/protocol.md); `message`
 * is safe to send to clients (it never carries a stack, a token or a raw exception message). `status` answers
 * HTTP requests.
 */
export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SwitchboardError';
    this.code = code;
    this.status = statusOf(code);
  }
}

/** An engine could not do what it was asked; `unavailable` when the backend is unreachable. */
export class EngineError extends SwitchboardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, options);
    this.name = 'EngineError';
  }
}
