// Finds one top-level field of a JSON object given as text, without parsing the rest: the payload travels as
// JSON text on the hot path, and a conflation key is needed only for `latest` namespaces with a `conflateKey`,
// only while a subscriber is behind. The scan skips nested values and strings by their brackets and quotes.

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

function skipWs(s: string, i: number): number {
  while (i < s.length && WS.has(s.charCodeAt(i))) i++;
  return i;
}

/** Index just past the string starting at `i` (which is a `"`), or -1 when it never ends. */
function endOfString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  return -1;
}

/** Index just past the value starting at `i`, or -1 when the text is not well formed there. */
function endOfValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) return endOfString(s, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === 0x22) {
        j = endOfString(s, j) - 1;
        if (j < 0) return -1;
      } else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // A number or a literal: up to the next delimiter.
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d || WS.has(d)) break;
    j++;
  }
  return j === i ? -1 : j;
}

/** A JSON string token with escapes, decoded; undefined when the escapes are malformed. */
function decodeKey(token: string): string | undefined {
  try {
    return JSON.parse(token) as string;
  } catch {
    return undefined; // not a valid JSON string: the text is malformed, so there is no key to find
  }
}

/**
 * The JSON text of `field`'s value when `json` is an object that has it at the top level (`"AAPL"` with its
 * quotes, `42`, `{"a":1}`), else undefined (not an object, no such field, or malformed text). Keys with escapes
 * are compared decoded. The last occurrence wins, as with `JSON.parse`.
 */
export function topLevelField(json: string, field: string): string | undefined {
  let i = skipWs(json, 0);
  if (json.charCodeAt(i) !== 0x7b) return undefined;
  i = skipWs(json, i + 1);
  if (json.charCodeAt(i) === 0x7d) return undefined;
  let found: string | undefined;
  for (;;) {
    if (json.charCodeAt(i) !== 0x22) return undefined;
    const keyEnd = endOfString(json, i);
    if (keyEnd < 0) return undefined;
    const rawKey = json.slice(i + 1, keyEnd - 1);
    const key = rawKey.includes('\\') ? decodeKey(json.slice(i, keyEnd)) : rawKey;
    if (key === undefined) return undefined;
    i = skipWs(json, keyEnd);
    if (json.charCodeAt(i) !== 0x3a) return undefined;
    i = skipWs(json, i + 1);
    const valueEnd = endOfValue(json, i);
    if (valueEnd < 0) return undefined;
    if (key === field) found = json.slice(i, valueEnd);
    i = skipWs(json, valueEnd);
    const c = json.charCodeAt(i);
    if (c === 0x7d) return found;
    if (c !== 0x2c) return undefined;
    i = skipWs(json, i + 1);
  }
}
