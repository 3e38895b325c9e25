/**
 * What the hub refuses in JSON text before it parses it, found in one pass over the text (pure, never throws):
 *
 * - nesting deeper than `maxDepth` arrays and objects (deep input costs the parser and, worse, every later
 *   `JSON.stringify` of it, which recurses: a few thousand levels overflow the stack);
 * - a number that would not come back as written: one out of the double range (`1e400` parses to `Infinity` and
 *   is written back as `null`), one that underflows to zero (`1e-400`), or one with more significant digits than a
 *   double keeps (`12345678901234567891`, written back as `12345678901234567000`). A number is accepted when the
 *   double it parses to is written back with the same significant digits, so every integer up to 2^53 and every
 *   decimal of up to 15 significant digits is; send others as strings.
 *
 * Returns a message for the client (naming no input) or null. Text that is not JSON at all gets null here and its
 * refusal from the parser.
 */
export function jsonProblem(text: string, maxDepth: number): string | null {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string, escapes included; an unterminated one is the parser's to refuse.
      for (i++; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return `JSON is nested deeper than ${maxDepth} levels`;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < n && isNumberChar(text.charCodeAt(end))) end++;
      const problem = numberProblem(text.slice(i, end));
      if (problem !== null) return problem;
      i = end - 1;
    }
  }
  return null;
}

function isNumberChar(c: number): boolean {
  // digits . + - e E
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2b || c === 0x2d || c === 0x65 || c === 0x45;
}

const NOT_FAITHFUL =
  'a JSON number is out of range or has more digits than a double keeps; send it as a string';

function numberProblem(token: string): string | null {
  const value = Number(token);
  // Not a JSON number (the parser refuses it), or a plain short one: nothing to check.
  if (Number.isNaN(value)) return null;
  if (!Number.isFinite(value)) return NOT_FAITHFUL;
  // At most 15 characters hold at most 15 significant digits: faithful unless it underflowed to zero (below).
  if (token.length <= 15 && value !== 0) return null;
  // Written back exactly as sent (a longer integer or decimal, a timestamp with a fraction): faithful.
  if (String(value) === token) return null;
  const digits = significant(token);
  if (value === 0) return digits === '' ? null : NOT_FAITHFUL;
  if (digits.length <= 15) return null;
  return significant(value.toExponential()) === digits ? null : NOT_FAITHFUL;
}

/** The significant digits of a decimal number's text: no sign, point, exponent, leading or trailing zeros. */
function significant(text: string): string {
  const e = text.search(/[eE]/);
  const mantissa = (e === -1 ? text : text.slice(0, e)).replace(/[-+.]/g, '');
  return mantissa.replace(/^0+/, '').replace(/0+$/, '');
}
