/**
 * Channel names: 1 to `maxLength` characters from `A–Z a–z 0–9 _ - . : @ # = / ,`.
 * `:` separates an optional namespace (`chat:lobby`); `#` marks a user channel (`user#42`).
 * The set is ASCII so a name is safe in a URL query, a header, a Redis key and a NATS subject token.
 */
export const CHANNEL_PATTERN = /^[A-Za-z0-9_\-.:@#=/,]+$/;

export const DEFAULT_MAX_CHANNEL_LENGTH = 255;

/** Returns null when `name` is a valid channel, else a message saying what is wrong (never echoing the name). */
export function channelError(name: unknown, maxLength = DEFAULT_MAX_CHANNEL_LENGTH): string | null {
  if (typeof name !== 'string') return 'channel must be a string';
  if (name.length === 0) return 'channel must not be empty';
  if (name.length > maxLength) return `channel is longer than ${maxLength} characters`;
  if (!CHANNEL_PATTERN.test(name)) return 'channel has characters outside [A-Za-z0-9_-.:@#=/,]';
  return null;
}
