/**
 * A publication's place in its channel's stream.
 *
 * `offset` grows by exactly one per publication in a channel (the first publication has offset 1; an empty
 * stream is at offset 0). `epoch` names one continuous life of the stream: it changes whenever the stream's
 * history was lost (an in-memory engine restarted, a Redis key expired), and offsets from another epoch say
 * nothing about this one.
 */
export interface Position {
  readonly epoch: string;
  readonly offset: number;
}

/** Epochs are short ASCII tokens so that they can sit in an SSE `id:` and a cursor without escaping. */
export const EPOCH_PATTERN = /^[A-Za-z0-9]{1,32}$/;

export function isValidEpoch(value: unknown): value is string {
  return typeof value === 'string' && EPOCH_PATTERN.test(value);
}

export function isValidOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Parses an untrusted `{epoch, offset}` object; returns null when it is not one. */
export function parsePosition(value: unknown): Position | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { epoch, offset } = value as { epoch?: unknown; offset?: unknown };
  if (!isValidEpoch(epoch) || !isValidOffset(offset)) return null;
  return { epoch, offset };
}

/** A fresh random epoch: 10 base-36 characters (about 51 bits), from the platform's CSPRNG when present. */
export function newEpoch(): string {
  const bytes = new Uint8Array(10);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += (b % 36).toString(36);
  return out;
}
