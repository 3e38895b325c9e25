// Reads one number out of a message without parsing its JSON: the generator only needs the send time and the
// sequence (hub offset or payload counter), and a full JSON.parse per delivered message would make the
// generator, not the hub, the limit.

/** Byte strings of the keys the generator looks for. */
export const KEY_T: Buffer = Buffer.from('"t":');
export const KEY_SEQ: Buffer = Buffer.from('"s":');
export const KEY_OFFSET: Buffer = Buffer.from('"offset":');

/**
 * The number that follows the first `key` in `buf[start, end)`, or NaN when the key is absent or no number
 * follows. Accepts `-`, digits and one fraction (what `JSON.stringify` writes for timestamps and counters);
 * an exponent ends the number.
 */
export function readNumberField(buf: Buffer, start: number, end: number, key: Buffer): number {
  const at = buf.indexOf(key, start);
  if (at < 0 || at + key.length >= end) return Number.NaN;
  let i = at + key.length;
  while (i < end && buf[i] === 0x20) i++;
  let sign = 1;
  if (buf[i] === 0x2d) {
    sign = -1;
    i++;
  }
  let int = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = buf[i]! - 0x30;
    if (c < 0 || c > 9) break;
    int = int * 10 + c;
    digits++;
  }
  if (digits === 0) return Number.NaN;
  if (buf[i] !== 0x2e) return sign * int;
  let frac = 0;
  let scale = 1;
  for (i++; i < end; i++) {
    const c = buf[i]! - 0x30;
    if (c < 0 || c > 9) break;
    frac = frac * 10 + c;
    scale *= 10;
  }
  return sign * (int + frac / scale);
}

/** True when `needle` occurs in `buf[start, end)`. */
export function contains(buf: Buffer, start: number, end: number, needle: Buffer): boolean {
  const at = buf.indexOf(needle, start);
  return at >= 0 && at + needle.length <= end;
}
