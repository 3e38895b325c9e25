import type { ErrorCode } from '@switchboard/protocol';

/**
 * Codes the client itself produces (never sent by the hub): `timeout` (no reply within the call's timeout),
 * `closed` (the client was disconnected before the reply came), `codec` (a subscription's codec could not decode
 * a received payload; the publication is skipped).
 */
export type LocalErrorCode = 'timeout' | 'closed' | 'codec';

/** Every error a call rejects with: `code` is a hub code from @switchboard/protocol or a local one. */
export class SwitchboardClientError extends Error {
  readonly code: ErrorCode | LocalErrorCode;
  readonly channel: string | undefined;
  constructor(code: ErrorCode | LocalErrorCode, message: string, channel?: string) {
    super(message);
    this.name = 'SwitchboardClientError';
    this.code = code;
    this.channel = channel;
  }
}
