import { SwitchboardError } from '@switchboard/engine-kit';
import { CLOSE_CODES, type CloseReason } from '@switchboard/protocol';

// The error base lives in the engine kit, which engines depend on instead of the server; the hub's code
// imports it from here, next to what the hub adds to it.
export { EngineError, SwitchboardError } from '@switchboard/engine-kit';

/** Normalizes anything thrown into a SwitchboardError; unknown errors become `internal` with a generic message. */
export function toSwitchboardError(err: unknown): SwitchboardError {
  if (err instanceof SwitchboardError) return err;
  return new SwitchboardError('internal', 'internal error', { cause: err });
}

/** A reason to end a connection, with the close code its range makes meaningful. */
export interface Disconnect {
  readonly code: number;
  readonly reason: CloseReason;
  readonly reconnect: boolean;
}

export function disconnectFor(reason: CloseReason): Disconnect {
  const c = CLOSE_CODES[reason];
  return { code: c.code, reason, reconnect: c.reconnect };
}
