import { EPOCH_PATTERN, type Position } from './position.ts';

/**
 * The resume cursor: the positions of every channel of one stream, in one string that fits an SSE `id:`.
 *
 *     1.<fingerprint>.<epoch>-<offset>.<epoch>-<offset>...
 *
 * `1` is the format version. The positions follow the stream's channels in their normalized order (sorted,
 * deduplicated; see `normalizeChannels`), and `<fingerprint>` (FNV-1a 32-bit of that list, base 36) ties the
 * cursor to that channel set, so a cursor replayed against other channels is refused, never misread.
 * Epochs are `[A-Za-z0-9]`, offsets are decimal, so `.` and `-` need no escaping.
 *
 * A WebSocket client resumes with per-channel `{epoch, offset}` positions, and can take them from a cursor with
 * `decodeCursor`, and an SSE client can start from WebSocket positions with `encodeCursor`: one position type.
 */
export const CURSOR_VERSION = '1';

export type CursorResult =
  | { readonly ok: true; readonly positions: Position[] }
  | { readonly ok: false; readonly reason: string };

/** Sorted and deduplicated: the order the cursor (and the hub) uses for a stream's channels. */
export function normalizeChannels(channels: Iterable<string>): string[] {
  return [...new Set(channels)].sort();
}

/** FNV-1a (32-bit) over the normalized channel list joined by NUL (which no channel name may contain). */
export function channelSetFingerprint(channels: readonly string[]): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < channels.length; i++) {
    const name = channels[i]!;
    if (i > 0) hash = Math.imul(hash ^ 0, 0x01000193) >>> 0;
    for (let j = 0; j < name.length; j++) {
      hash = Math.imul(hash ^ name.charCodeAt(j), 0x01000193) >>> 0;
    }
  }
  return hash.toString(36);
}

/** One channel's segment of a cursor. Exposed so a stream can cache segments and re-join only the one that moved. */
export function cursorSegment(position: Position): string {
  return `${position.epoch}-${position.offset}`;
}

/** The prefix shared by every cursor of one channel set. */
export function cursorPrefix(channels: readonly string[]): string {
  return `${CURSOR_VERSION}.${channelSetFingerprint(channels)}`;
}

export function encodeCursor(channels: readonly string[], positions: readonly Position[]): string {
  if (channels.length !== positions.length) throw new RangeError('one position per channel');
  let out = cursorPrefix(channels);
  for (const p of positions) out += `.${cursorSegment(p)}`;
  return out;
}

const MAX_CURSOR_LENGTH = 64 * 1024;
const OFFSET_PATTERN = /^(0|[1-9][0-9]{0,15})$/;

/** Decodes an untrusted cursor against the stream's normalized channels. Never throws. */
export function decodeCursor(cursor: string, channels: readonly string[]): CursorResult {
  if (cursor.length > MAX_CURSOR_LENGTH) return { ok: false, reason: 'cursor is too long' };
  const parts = cursor.split('.');
  if (parts[0] !== CURSOR_VERSION) return { ok: false, reason: 'unknown cursor version' };
  if (parts[1] !== channelSetFingerprint(channels))
    return { ok: false, reason: 'cursor belongs to another channel set' };
  if (parts.length !== channels.length + 2)
    return { ok: false, reason: 'cursor has the wrong number of positions' };
  const positions: Position[] = [];
  for (let i = 2; i < parts.length; i++) {
    const seg = parts[i]!;
    const dash = seg.lastIndexOf('-');
    const epoch = seg.slice(0, dash);
    const offsetText = seg.slice(dash + 1);
    if (dash <= 0 || !EPOCH_PATTERN.test(epoch) || !OFFSET_PATTERN.test(offsetText)) {
      return { ok: false, reason: 'cursor has a malformed position' };
    }
    const offset = Number(offsetText);
    if (!Number.isSafeInteger(offset)) return { ok: false, reason: 'cursor has a malformed position' };
    positions.push({ epoch, offset });
  }
  return { ok: true, positions };
}
