/**
 * Wire versions (docs/protocol.md, "Wire version 2: compact message frames"). A client asks for a version with
 * the query parameter `wire` on `GET /ws` and `GET /sse`; the hub serves the highest version it knows that is
 * not above the one asked for, and version 1 for anything it cannot read. Asking is never an error.
 */

/** The highest wire version this package describes. */
export const WIRE_VERSION = 2;

/** The query parameter a client asks for a wire version with. */
export const WIRE_PARAM = 'wire';

/**
 * The version a hub speaking up to `highest` serves for the `wire` parameter `asked` (null when absent): 1 when
 * absent or unreadable, else the smaller of the two.
 */
export function negotiateWire(asked: string | null, highest: number = WIRE_VERSION): 1 | 2 {
  if (asked === null || !/^[0-9]{1,6}$/.test(asked)) return 1;
  return Math.min(Number(asked), highest) >= 2 ? 2 : 1;
}

/**
 * A compact message frame (`[sid,data]` or `[sid,offset,data]`) read from its JSON value; null for anything
 * else (every other frame is a JSON object).
 */
export interface CompactMessage {
  readonly sid: number;
  /** The publication's offset, or undefined for the implied form: the previous one on this channel + 1. */
  readonly offset: number | undefined;
  readonly data: unknown;
}

export function readCompact(value: unknown): CompactMessage | null {
  if (!Array.isArray(value)) return null;
  const sid: unknown = value[0];
  if (typeof sid !== 'number' || !Number.isSafeInteger(sid)) return null;
  if (value.length === 2) return { sid, offset: undefined, data: value[1] };
  const offset: unknown = value[1];
  if (value.length === 3 && typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0)
    return { sid, offset, data: value[2] };
  return null;
}
