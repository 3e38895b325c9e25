// The response head of an upgrade or an event stream: status and framing, nothing else.

const HEAD_END = Buffer.from('\r\n\r\n');

/** Index just past the head's blank line, or -1 while the head is incomplete. */
export function headEnd(buf: Buffer): number {
  const at = buf.indexOf(HEAD_END);
  return at < 0 ? -1 : at + HEAD_END.length;
}

export interface ResponseHead {
  status: number;
  /** `Transfer-Encoding: chunked`: the body must be de-chunked before it is read as events. */
  chunked: boolean;
}

export function parseHead(buf: Buffer, end: number): ResponseHead {
  const text = buf.toString('latin1', 0, end);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
  const chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(text);
  return { status, chunked };
}
