// How `Publication.data` carries a payload of bytes. An engine stores and moves `data` as one opaque string and
// never looks inside; the hub reads it here. JSON text (what `JSON.stringify` writes) never begins with `b`, so
// one leading `b` marks the rest as the bytes in standard padded base64: every engine carries bytes with no
// change to its storage or messages, at 4/3 of their size in the backend.

const MARK = 0x62; // 'b'

/** Whether a publication's `data` is bytes (`b` + base64) rather than JSON text. */
export function isBinaryData(data: string): boolean {
  return data.charCodeAt(0) === MARK;
}

/** `data` for a payload of bytes, given as standard padded base64. */
export function binaryData(base64: string): string {
  return `b${base64}`;
}

/** The base64 of a binary `data` (see `isBinaryData`). */
export function base64Of(data: string): string {
  return data.slice(1);
}
