/**
 * The `text/event-stream` encoder (WHATWG HTML, "Server-sent events"). Pure functions of strings.
 *
 * - `data` is split on CR LF, CR and LF into one `data:` line each, so any text round-trips through a browser.
 * - `event` and `id` are single-line fields: CR, LF or NUL in them would let one event forge another (or, for
 *   `id`, be ignored by the browser), so they are refused with an `SseFieldError` instead of being escaped.
 */
export class SseFieldError extends Error {
  readonly field: 'event' | 'id';
  constructor(field: 'event' | 'id') {
    super(`SSE ${field} must not contain CR, LF or NUL`);
    this.name = 'SseFieldError';
    this.field = field;
  }
}

export interface SseEvent {
  /** Event type; omit for the default `message` type (so `EventSource.onmessage` fires). */
  readonly event?: string;
  /** Sets the stream's last event ID (sent back as `Last-Event-ID` on reconnect). */
  readonly id?: string;
  readonly data: string;
  /** Reconnection delay hint in milliseconds. */
  readonly retry?: number;
}

const FORBIDDEN_IN_FIELD = /[\r\n\0]/;
const LINE_BREAK = /\r\n|\r|\n/;

export function assertSseField(field: 'event' | 'id', value: string): void {
  if (FORBIDDEN_IN_FIELD.test(value)) throw new SseFieldError(field);
}

/** The `data:` lines of an event plus its terminating blank line. */
export function encodeSseData(data: string): string {
  if (!LINE_BREAK.test(data)) return `data: ${data}\n\n`;
  let out = '';
  for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return out + '\n';
}

/** The `id:` line for an event (validated). Kept apart so one `data` block can be shared under many ids. */
export function encodeSseId(id: string): string {
  assertSseField('id', id);
  return `id: ${id}\n`;
}

export function encodeSseEvent(ev: SseEvent): string {
  let out = '';
  if (ev.retry !== undefined) out += encodeSseRetry(ev.retry);
  if (ev.event !== undefined) {
    assertSseField('event', ev.event);
    out += `event: ${ev.event}\n`;
  }
  if (ev.id !== undefined) out += encodeSseId(ev.id);
  return out + encodeSseData(ev.data);
}

export function encodeSseRetry(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError('SSE retry must be a non-negative integer');
  return `retry: ${ms}\n`;
}

/** A comment line (ignored by clients; used for heartbeats). Line breaks become separate comment lines. */
export function encodeSseComment(text: string): string {
  let out = '';
  for (const line of text.split(LINE_BREAK)) out += `: ${line.replace(/\0/g, '')}\n`;
  return out + '\n';
}
