import type { CommandId, ErrorCode, ErrorFrame, ServerFrame } from '@switchboard/protocol';

/**
 * Where the answer to one command goes, given with the command (`Session.handle(command, reply)`): the
 * connection itself for a WebSocket (and an SSE stream's own subscribes), the HTTP response for
 * `POST /sse/command`. Whatever else the command causes (publications after a `subscribed`, a `disconnect`) goes
 * to the connection. A command gets one answer, its reply frame or an `error` frame; a command whose session
 * closed first gets none.
 */
export interface ReplySink {
  reply(frame: ServerFrame): void;
}

/** An `error` frame, carrying the command's id and channel when it had them. */
export function errorFrame(
  id: CommandId | undefined,
  code: ErrorCode,
  message: string,
  channel?: string,
): ErrorFrame {
  return {
    type: 'error',
    ...(id === undefined ? {} : { id }),
    code,
    message,
    ...(channel === undefined ? {} : { channel }),
  };
}
