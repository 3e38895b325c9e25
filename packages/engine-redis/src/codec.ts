import type { Publication } from '@switchboard/engine-kit';
import type { ClientInfo } from '@switchboard/protocol';

/**
 * The messages nodes exchange over pub/sub, built by the Lua scripts (publications) or by `encodeMember`
 * (joins, leaves). Fields are newline-separated and the payload comes last, so decoding a publication is a few
 * `indexOf` calls and the payload's JSON text is never parsed on the fan-out path:
 *
 *   p\n<epoch>\n<offset>\n<time ms>\n<info JSON or empty>\n<data JSON>
 *   j\n<client JSON>      (join)
 *   l\n<client JSON>      (leave)
 *
 * Epochs and offsets hold no newline; info and data are JSON text from `JSON.stringify`, which never emits a
 * raw newline, and data is the remainder anyway.
 */
export type Message =
  | { readonly kind: 'publication'; readonly publication: Publication }
  | { readonly kind: 'join' | 'leave'; readonly client: ClientInfo };

export function decodePublication(channel: string, text: string): Publication | undefined {
  if (!text.startsWith('p\n')) return undefined;
  const e = text.indexOf('\n', 2);
  const o = text.indexOf('\n', e + 1);
  const t = text.indexOf('\n', o + 1);
  const i = text.indexOf('\n', t + 1);
  if (e < 0 || o < 0 || t < 0 || i < 0) return undefined;
  const epoch = text.slice(2, e);
  const offset = Number(text.slice(e + 1, o));
  const time = Number(text.slice(o + 1, t));
  const infoText = text.slice(t + 1, i);
  const data = text.slice(i + 1);
  if (!Number.isSafeInteger(offset) || !Number.isFinite(time)) return undefined;
  if (infoText === '') return { channel, epoch, offset, data, time };
  return { channel, epoch, offset, data, info: JSON.parse(infoText) as ClientInfo, time };
}

export function decodeMessage(channel: string, text: string): Message | undefined {
  const kind = text[0];
  if (kind === 'p') {
    const publication = decodePublication(channel, text);
    return publication === undefined ? undefined : { kind: 'publication', publication };
  }
  if ((kind === 'j' || kind === 'l') && text[1] === '\n') {
    return { kind: kind === 'j' ? 'join' : 'leave', client: JSON.parse(text.slice(2)) as ClientInfo };
  }
  return undefined;
}

export function encodeMember(kind: 'join' | 'leave', client: ClientInfo): string {
  return `${kind === 'join' ? 'j' : 'l'}\n${JSON.stringify(client)}`;
}
