import { headers, type MsgHdrs } from '@nats-io/nats-core';
import type { HistoryPolicy, Publication } from '@switchboard/engine-kit';
import type { ClientInfo } from '@switchboard/protocol';

// How a publication travels on NATS. The same headers and body go into the history stream and onto the live
// subject, so a node decodes both the same way. Headers carry the position and the channel's history policy (so
// a reader of history knows how much of it is still "held"); the body is the client info's JSON on its first
// line (empty when none) and the payload's JSON text after it, never parsed here. JSON.stringify never writes a
// raw newline, so the first one always ends the info line.

const EPOCH = 'Sb-Epoch';
const OFFSET = 'Sb-Offset';
const TIME = 'Sb-Time';
const POLICY = 'Sb-Policy';
const KIND = 'Sb-Kind';

/** What travels on a live subject: a publication, or a join / leave (whose body is the client's JSON). */
export type LiveKind = 'pub' | 'join' | 'leave';

/** The policy an empty channel's epoch marker carries: the memory engine's default for a stream only read. */
export const MARKER_POLICY: HistoryPolicy = { size: 0, ttlMs: 0, metaTtlMs: 24 * 60 * 60_000 };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A stored message's place and meaning: offset 0 is an epoch marker (an empty channel's stable epoch). */
export interface StoredEntry {
  readonly seq: number;
  /** The stream sequence of the channel's previous message (0 for none), so a short read can walk back. */
  readonly prev: number;
  readonly publication: Publication;
  readonly policy: HistoryPolicy;
}

export function publicationHeaders(
  publication: Publication,
  policy: HistoryPolicy,
  kind?: LiveKind,
): MsgHdrs {
  const h = headers();
  h.set(EPOCH, publication.epoch);
  h.set(OFFSET, String(publication.offset));
  h.set(TIME, String(publication.time));
  h.set(POLICY, `${policy.size},${policy.ttlMs},${policy.metaTtlMs}`);
  if (kind !== undefined) h.set(KIND, kind);
  return h;
}

export function publicationBody(publication: Publication): Uint8Array {
  const info = publication.info === undefined ? '' : JSON.stringify(publication.info);
  return encoder.encode(`${info}\n${publication.data}`);
}

/** A join or leave on the live subject. */
export function presenceMessage(
  kind: 'join' | 'leave',
  client: ClientInfo,
): { headers: MsgHdrs; body: Uint8Array } {
  const h = headers();
  h.set(KIND, kind);
  return { headers: h, body: encoder.encode(JSON.stringify(client)) };
}

export function kindOf(h: MsgHdrs | undefined): LiveKind | undefined {
  const kind = h?.get(KIND);
  return kind === 'pub' || kind === 'join' || kind === 'leave' ? kind : undefined;
}

/** Reads a publication back; undefined for a message this engine did not write (it is ignored, not fatal). */
export function decodePublication(
  channel: string,
  h: MsgHdrs | undefined,
  data: Uint8Array,
): { publication: Publication; policy: HistoryPolicy } | undefined {
  if (h === undefined) return undefined;
  const epoch = h.get(EPOCH);
  const offset = Number(h.get(OFFSET));
  const time = Number(h.get(TIME));
  const policy = h
    .get(POLICY)
    .split(',')
    .map((n) => Number(n));
  if (epoch === '' || !Number.isSafeInteger(offset) || offset < 0 || !Number.isFinite(time)) return undefined;
  const [size, ttlMs, metaTtlMs] = policy;
  if (size === undefined || ttlMs === undefined || metaTtlMs === undefined || policy.some(Number.isNaN))
    return undefined;
  const text = decoder.decode(data);
  const cut = text.indexOf('\n');
  if (cut < 0) return undefined;
  const infoText = text.slice(0, cut);
  const body = text.slice(cut + 1);
  let publication: Publication = { channel, epoch, offset, data: body, time };
  if (infoText !== '') {
    try {
      publication = { ...publication, info: JSON.parse(infoText) as ClientInfo };
    } catch {
      return undefined; // not ours: the hub never writes an info line that is not JSON
    }
  }
  return { publication, policy: { size, ttlMs, metaTtlMs } };
}

export function decodeClient(data: Uint8Array): ClientInfo | undefined {
  try {
    const value = JSON.parse(decoder.decode(data)) as ClientInfo;
    return typeof value === 'object' && value !== null && typeof value.client === 'string'
      ? value
      : undefined;
  } catch {
    return undefined; // not a join/leave this engine wrote
  }
}
