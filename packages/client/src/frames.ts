import type {
  ClientCommand,
  CommandId,
  Position,
  ServerFrame,
  SubscribeCommand,
} from '@switchboard/protocol';

/**
 * Frames and commands the client speaks beyond those typed in @switchboard/protocol: token authentication
 * (docs/protocol.md, contract "auth": `auth` command, `authed` reply) and the SSE `connected` frame's `session`
 * secret for `POST /sse/command`. Kept here so the client is typed end to end against the wire as it is.
 */
export interface AuthCommand {
  readonly type: 'auth';
  readonly id?: CommandId;
  readonly token: string;
}

export interface AuthedFrame {
  readonly type: 'authed';
  readonly id?: CommandId;
  readonly user: string | null;
  /** Milliseconds since the epoch when the token expires, or null when it does not. */
  readonly expiresAt: number | null;
}

/** `subscribe` with the optional subscription token of channels that require one (contract "auth"). */
export type SubscribeWithToken = SubscribeCommand & { readonly token?: string };

export type OutgoingCommand = Exclude<ClientCommand, SubscribeCommand> | SubscribeWithToken | AuthCommand;

export type IncomingFrame = ServerFrame | AuthedFrame;

/** Frames that answer a command, matched to their call by `id`. */
export type ReplyFrame = Extract<IncomingFrame, { readonly id?: CommandId }>;

/** A command before the client gives it an id. */
export type CommandBody = OutgoingCommand extends infer C
  ? C extends OutgoingCommand
    ? Omit<C, 'id'>
    : never
  : never;

export function isPosition(value: unknown): value is Position {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { epoch?: unknown; offset?: unknown };
  return typeof v.epoch === 'string' && typeof v.offset === 'number';
}

/** Parses one frame's JSON text; null when it is not a JSON object with a string `type`. */
export function parseFrame(text: string): IncomingFrame | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  if (typeof (value as { type?: unknown }).type !== 'string') return null;
  return value as IncomingFrame;
}
