import type { ClientCommand, CommandId, Position, ServerFrame } from '@switchboard/protocol';

/** Frames that answer a command, matched to their call by `id`. */
export type ReplyFrame = Extract<ServerFrame, { readonly id?: CommandId }>;

/** A command before the client gives it an id. */
export type CommandBody = ClientCommand extends infer C
  ? C extends ClientCommand
    ? Omit<C, 'id'>
    : never
  : never;

export function isPosition(value: unknown): value is Position {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { epoch?: unknown; offset?: unknown };
  return typeof v.epoch === 'string' && typeof v.offset === 'number';
}

/** Parses one frame's JSON text; null when it is not a JSON object with a string `type`. */
export function parseFrame(text: string): ServerFrame | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  if (typeof (value as { type?: unknown }).type !== 'string') return null;
  return value as ServerFrame;
}
