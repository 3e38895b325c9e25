// Durations and sizes as people write them in config files and environment variables. Pure: strings in,
// numbers (or a reason) out. Decimal fractions are computed exactly (BigInt), so "1.1s" is 1100ms, not
// 1100.0000000000002ms, and a value that is not a whole number of milliseconds / bytes is refused, not rounded.

export type Parsed =
  | { readonly ok: true; readonly value: number }
  | { readonly ok: false; readonly reason: string };

/** Milliseconds per duration unit. Units are lowercase only: `5M` (minutes? months?) is refused as ambiguous. */
export const DURATION_UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Bytes per size unit, matched case-insensitively. Binary throughout: `kb` and `kib` are both 1024 bytes,
 * `mb` and `mib` 1024², `gb` and `gib` 1024³. Nobody sizes a buffer in powers of ten.
 */
export const SIZE_UNITS = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
} as const;

const QUANTITY = /^(\d+)(?:\.(\d+))?\s?([A-Za-z]*)$/;

/**
 * `"500ms"`, `"25s"`, `"1.5m"`, `"1h"`, `"1d"`, a bare digit string (milliseconds, as environment variables
 * give them) or a number of milliseconds.
 */
export function parseDuration(input: unknown): Parsed {
  return parseQuantity(input, 'milliseconds', (unit) =>
    unit === '' ? 1 : (DURATION_UNITS as Record<string, number>)[unit],
  );
}

/** `"512b"`, `"64kb"`, `"1mb"`, `"4MiB"`, `"1.5gb"`, a bare digit string (bytes) or a number of bytes. */
export function parseSize(input: unknown): Parsed {
  return parseQuantity(input, 'bytes', (unit) =>
    unit === '' ? 1 : (SIZE_UNITS as Record<string, number>)[unit.toLowerCase()],
  );
}

function parseQuantity(input: unknown, base: string, factorOf: (unit: string) => number | undefined): Parsed {
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input >= 0) return { ok: true, value: input };
    return { ok: false, reason: `not a whole, non-negative number of ${base}` };
  }
  if (typeof input !== 'string') return { ok: false, reason: 'syntax' };
  const m = QUANTITY.exec(input.trim());
  if (m === null) return { ok: false, reason: 'syntax' };
  const [, whole = '', fraction = '', unit = ''] = m;
  const factor = factorOf(unit);
  if (factor === undefined) return { ok: false, reason: 'syntax' };
  const scale = 10n ** BigInt(fraction.length);
  const scaled = (BigInt(whole) * scale + BigInt(fraction || '0')) * BigInt(factor);
  if (scaled % scale !== 0n) return { ok: false, reason: `${input.trim()} is not a whole number of ${base}` };
  const value = scaled / scale;
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: `${input.trim()} is too large` };
  return { ok: true, value: Number(value) };
}

/** The shortest exact spelling of a duration: 90000 → `"90s"`, 86400000 → `"1d"`, 1500 → `"1500ms"`. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const f = DURATION_UNITS[unit];
    if (ms !== 0 && ms % f === 0) return `${ms / f}${unit}`;
  }
  return `${ms}ms`;
}

/** The shortest exact spelling of a size: 65536 → `"64kb"`, 1500 → `"1500b"`. */
export function formatSize(bytes: number): string {
  for (const unit of ['gb', 'mb', 'kb'] as const) {
    const f = SIZE_UNITS[unit];
    if (bytes !== 0 && bytes % f === 0) return `${bytes / f}${unit}`;
  }
  return `${bytes}b`;
}
