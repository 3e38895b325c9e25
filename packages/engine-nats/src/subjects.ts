// Names on the NATS side, derived from one prefix. Pure: strings in, strings out.
//
// A channel name becomes ONE subject token (and one KV key token): bytes in [A-Za-z0-9_-] stay as they are,
// every other UTF-8 byte becomes `=XX` (upper-case hex). The result never holds `.`, `*`, `>`, whitespace or
// anything a KV key refuses, and the mapping is injective (`=` itself is escaped), so two channels never share
// a subject. Readable for the common case: `chat:room.1` is `chat=3Aroom=2E1`.

const PLAIN = /^[A-Za-z0-9_-]$/;
const encoder = new TextEncoder();

/** One subject / KV-key token for any string (the empty string becomes `=`, which no other input gives). */
export function encodeToken(value: string): string {
  if (value === '') return '=';
  let out = '';
  for (const ch of value) {
    if (PLAIN.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of encoder.encode(ch)) out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The inverse of `encodeToken`, for tools and tests. */
export function decodeToken(token: string): string {
  if (token === '=') return '';
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const c = token[i]!;
    if (c === '=') {
      bytes.push(Number.parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c.charCodeAt(0));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Every name the engine uses on one NATS account, from its `prefix` (letters, digits, `_`, `-`). */
export class Names {
  readonly prefix: string;
  /** The JetStream stream holding every channel's history, one subject per channel. */
  readonly stream: string;
  readonly presenceBucket: string;
  readonly idempotencyBucket: string;
  readonly occupancyBucket: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.stream = `${prefix}-history`;
    this.presenceBucket = `${prefix}-presence`;
    this.idempotencyBucket = `${prefix}-idempotency`;
    this.occupancyBucket = `${prefix}-occupancy`;
  }

  /** What the history stream captures. */
  get historySubjects(): string {
    return `${this.prefix}.h.>`;
  }

  /** The channel's subject in the history stream. */
  history(channel: string): string {
    return `${this.prefix}.h.${encodeToken(channel)}`;
  }

  /** The channel's core NATS subject: publications, joins and leaves between nodes. Not captured by a stream. */
  live(channel: string): string {
    return `${this.prefix}.c.${encodeToken(channel)}`;
  }

  /** A presence KV key: the channel's token, then the client's. */
  presenceKey(channel: string, client: string): string {
    return `${encodeToken(channel)}.${encodeToken(client)}`;
  }

  /** The occupancy key of one channel (its nodes with subscribers). */
  occupancyKey(channel: string): string {
    return encodeToken(channel);
  }

  /** Every presence key of one channel, as a KV filter. */
  presenceFilter(channel: string): string {
    return `${encodeToken(channel)}.>`;
  }
}
