// The value types of configuration leaves, as zod schemas that take raw input (JSON values, or the strings of
// environment variables and command-line flags) to normalized values. Every schema writes its own message, so a
// mistake reads the same whichever source it came from; secret values are never echoed.

import { formatDuration, formatSize, type Parsed, parseDuration, parseSize } from '@switchboard/engine-kit';
import * as z from 'zod';

/** The longest delay Node.js timers accept (2³¹−1 ms, about 24.8 days); longer ones silently fire after 1ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** A leaf schema: unknown in, `T` out, or one custom issue carrying `message`. */
export type Leaf<T> = z.ZodType<T, unknown>;

function leaf<T>(parse: (input: unknown) => Outcome<T>): Leaf<T> {
  return z.unknown().transform((input, ctx) => {
    const r = parse(input);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  });
}

/** A short, safe rendering of a wrong value for a message. */
export function show(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const fail = <T>(message: string): Outcome<T> => ({ ok: false, message });

/** An integer in `[min, max]`; digit strings are read as numbers. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Leaf<number> {
  const expected = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer ${min}..${max}`;
  return leaf((input) => {
    const n = typeof input === 'string' && /^\s*-?\d+\s*$/.test(input) ? Number(input) : input;
    if (typeof n === 'number' && Number.isSafeInteger(n) && n >= min && n <= max) return ok(n);
    return fail(`must be ${expected}, got ${show(input)}`);
  });
}

function bounded(
  parsed: Parsed,
  input: unknown,
  expected: string,
  min: number,
  max: { readonly value: number; readonly text: string },
  format: (n: number) => string,
): Outcome<number> {
  if (!parsed.ok) {
    if (parsed.reason === 'syntax') return fail(`expected ${expected}, got ${show(input)}`);
    return fail(`${parsed.reason}, got ${show(input)}`);
  }
  const n = parsed.value;
  if (n < min) return fail(`must be at least ${format(min)}, got ${show(input)}`);
  if (n > max.value) return fail(`must be at most ${max.text}, got ${show(input)}`);
  return ok(n);
}

const TIMER_LIMIT = {
  value: MAX_TIMER_MS,
  text: `${MAX_TIMER_MS}ms (about 24.8 days, the longest timer Node.js can set)`,
};
const SIZE_LIMIT = { value: 1024 ** 3, text: '1gb' };

/** Milliseconds, from a number or `"500ms"`, `"25s"`, `"5m"`, `"1h"`, `"1d"`. At most {@link MAX_TIMER_MS}. */
export function duration(min: number): Leaf<number> {
  return leaf((input) =>
    bounded(parseDuration(input), input, 'a duration like "25s"', min, TIMER_LIMIT, formatDuration),
  );
}

/** Bytes, from a number or `"512b"`, `"64kb"`, `"1mb"`, `"4MiB"` (1kb = 1024 bytes). At most 1gb. */
export function size(min: number): Leaf<number> {
  return leaf((input) => bounded(parseSize(input), input, 'a size like "64kb"', min, SIZE_LIMIT, formatSize));
}

/** `true`/`false`; from strings also `"true"`, `"false"`, `"1"`, `"0"` (any case). */
export const boolean: Leaf<boolean> = leaf((input) => {
  if (typeof input === 'boolean') return ok(input);
  if (typeof input === 'string') {
    const s = input.trim().toLowerCase();
    if (s === 'true' || s === '1') return ok(true);
    if (s === 'false' || s === '0') return ok(false);
  }
  return fail(`expected true or false (or 1 / 0), got ${show(input)}`);
});

export function oneOf<const T extends readonly string[]>(values: T): Leaf<T[number]> {
  return leaf((input) =>
    typeof input === 'string' && values.includes(input)
      ? ok(input as T[number])
      : fail(`expected one of ${values.join(', ')}, got ${show(input)}`),
  );
}

/** A host name or IP address to listen on. */
export const host: Leaf<string> = leaf((input) =>
  typeof input === 'string' && /^[^\s/]{1,253}$/.test(input)
    ? ok(input)
    : fail(`expected a host name or IP address (e.g. "0.0.0.0", "127.0.0.1", "::"), got ${show(input)}`),
);

const ENGINE_SCHEMES = ['redis:', 'rediss:', 'nats:'];
/** These list several `host:port`, which `URL` cannot parse: their details are checked by the engine package. */
const LIST_SCHEMES = ['redis+sentinel://', 'redis+cluster://'];

/**
 * `memory`, or a `redis://`, `rediss://`, `redis+sentinel://`, `redis+cluster://` or `nats://` URL (whether this
 * build has that engine, and a Sentinel or Cluster URL's details, are checked at start).
 */
export const engineUrl: Leaf<string> = leaf((input) => {
  if (input === 'memory' || input === 'memory://') return ok(input);
  if (typeof input === 'string' && LIST_SCHEMES.some((s) => input.startsWith(s) && input.length > s.length))
    return ok(input);
  if (typeof input === 'string' && URL.canParse(input) && ENGINE_SCHEMES.includes(new URL(input).protocol))
    return ok(input);
  const shown = typeof input === 'string' ? show(redactUrl(input)) : show(input);
  return fail(
    `expected "memory" or a redis://, rediss://, redis+sentinel://, redis+cluster:// or nats:// URL, got ${shown}`,
  );
});

/** Hides the password of a URL with credentials; anything else is returned as it is. */
export function redactUrl(url: string): string {
  // A URL `URL` cannot parse (a Sentinel or Cluster list of hosts) may still carry `user:password@`.
  if (!URL.canParse(url)) return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1redacted@');
  const u = new URL(url);
  if (u.password === '') return url;
  u.password = 'redacted';
  return u.href;
}

// Keys travel in `Authorization: Bearer <key>` and in comma-separated environment variables.
const API_KEY = /^[\x21-\x2b\x2d-\x7e]+$/;

/** API keys: an array of visible-ASCII strings without commas; duplicates dropped. Values are never echoed. */
export const apiKeys: Leaf<readonly string[]> = leaf((input) => {
  if (!Array.isArray(input)) return fail(`expected an array of strings, got ${show(input)}`);
  const bad = input.findIndex((k) => typeof k !== 'string' || !API_KEY.test(k));
  if (bad !== -1)
    return fail(
      `key ${bad + 1} of ${input.length} must be a non-empty string of visible ASCII characters without spaces or commas (value not shown)`,
    );
  return ok([...new Set(input as string[])]);
});

/** A string of at most `max` visible characters (spaces allowed); `''` when `allowEmpty`. */
export function text(max: number, allowEmpty = true): Leaf<string> {
  return leaf((input) =>
    typeof input === 'string' &&
    input.length <= max &&
    (allowEmpty || input !== '') &&
    !/[\0-\x1f\x7f]/.test(input)
      ? ok(input)
      : fail(`expected a string of at most ${max} characters without control characters, got ${show(input)}`),
  );
}

/** A secret or key material: any string (newlines allowed, for PEM). The value is never echoed. */
export const secretText: Leaf<string> = leaf((input) =>
  typeof input === 'string' && input.length <= 64 * 1024
    ? ok(input)
    : fail('expected a string of at most 64kb (value not shown)'),
);

/** `''` or an `http://` / `https://` URL. */
export const httpUrl: Leaf<string> = leaf((input) => {
  if (input === '') return ok('');
  if (typeof input === 'string' && URL.canParse(input) && /^https?:$/.test(new URL(input).protocol))
    return ok(input);
  return fail(
    `expected an http:// or https:// URL, got ${show(typeof input === 'string' ? redactUrl(input) : input)}`,
  );
});

/** An array of strings each accepted by `check` (a message when not); duplicates dropped. */
export function list(what: string, check: (item: string) => string | null): Leaf<readonly string[]> {
  return leaf((input) => {
    if (!Array.isArray(input)) return fail(`expected an array of ${what}, got ${show(input)}`);
    for (const [i, item] of input.entries()) {
      if (typeof item !== 'string') return fail(`item ${i + 1} must be a string, got ${show(item)}`);
      const problem = check(item);
      if (problem !== null) return fail(`item ${i + 1}: ${problem}`);
    }
    return ok([...new Set(input as string[])]);
  });
}

/** A cookie name: an RFC 6265 token. */
export const cookieName: Leaf<string> = leaf((input) =>
  typeof input === 'string' && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/.test(input)
    ? ok(input)
    : fail(`expected a cookie name (letters, digits and !#$%&'*+-.^_\`|~), got ${show(input)}`),
);

/** A top-level field name of publication data (`"symbol"`), or `""` for none. No quotes, backslashes or controls. */
export const fieldName: Leaf<string> = leaf((input) =>
  typeof input === 'string' && /^[^"\\\x00-\x1f]{0,128}$/.test(input)
    ? ok(input)
    : fail(
        `expected a field name of at most 128 characters without quotes or backslashes, got ${show(input)}`,
      ),
);

/** A Pusher app id or key: 1 to 128 characters from `A-Z a-z 0-9 _ - .` (they appear in URL paths), or `''`. */
const PUSHER_NAME = /^[A-Za-z0-9_\-.]{1,128}$/;
export const pusherField: Leaf<string> = leaf((input) =>
  input === '' || (typeof input === 'string' && PUSHER_NAME.test(input))
    ? ok(input)
    : fail(`expected 1 to 128 characters from [A-Za-z0-9_-.], got ${show(input)}`),
);

/**
 * Pusher apps: an array of `{id, key, secret}` (the environment gives it as JSON text). Ids and keys as
 * `pusherField`, secrets non-empty; no two apps share an id or a key. Secrets are never echoed.
 */
export const pusherApps: Leaf<readonly PusherAppValue[]> = leaf((input) => {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return fail('expected a JSON array of {"id","key","secret"} (value not shown)');
    }
  }
  if (!Array.isArray(value)) return fail(`expected an array of {"id","key","secret"}, got ${show(value)}`);
  const apps: PusherAppValue[] = [];
  for (const [i, item] of value.entries()) {
    const o = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => k !== 'webhookUrl')
      .sort()
      .join(',');
    const { id, key, secret, webhookUrl } = o;
    if (
      keys !== 'id,key,secret' ||
      typeof id !== 'string' ||
      !PUSHER_NAME.test(id) ||
      typeof key !== 'string' ||
      !PUSHER_NAME.test(key) ||
      typeof secret !== 'string' ||
      secret === '' ||
      secret.length > 1024
    )
      return fail(
        `app ${i + 1} must be {"id","key","secret"} (and optionally "webhookUrl"): id and key 1 to 128 characters from [A-Za-z0-9_-.], a non-empty secret (value not shown)`,
      );
    if (
      webhookUrl !== undefined &&
      !(
        typeof webhookUrl === 'string' &&
        URL.canParse(webhookUrl) &&
        /^https?:$/.test(new URL(webhookUrl).protocol)
      )
    )
      return fail(`app ${i + 1}: webhookUrl must be an http:// or https:// URL`);
    if (apps.some((a) => a.id === id || a.key === key))
      return fail(`app ${i + 1} has the id or the key of an earlier app`);
    apps.push(
      webhookUrl === undefined ? { id, key, secret } : { id, key, secret, webhookUrl: webhookUrl as string },
    );
  }
  return ok(apps);
});

interface PusherAppValue {
  id: string;
  key: string;
  secret: string;
  webhookUrl?: string;
}
