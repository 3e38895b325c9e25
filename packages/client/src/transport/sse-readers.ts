import { type ErrorCode, isErrorCode } from '@switchboard/protocol';
import { SseParser } from './sse-parser.ts';

/** What an event-stream reader reports: one call per event's `data`, a heartbeat, or the end (once). */
export interface ReaderHandlers {
  data(text: string): void;
  heartbeat(): void;
  /** The stream ended. `refused` is set when the hub answered with an HTTP error instead of a stream. */
  ended(refused?: { status: number; code: ErrorCode | undefined }): void;
}

export interface Reader {
  close(): void;
}

const FRAME_EVENTS = ['connected', 'subscribed', 'disconnect', 'join', 'leave', 'authed'] as const;

/** A native EventSource (no custom headers: used without a token). It never reconnects by itself here. */
export function readWithEventSource(Ctor: typeof EventSource, url: string, h: ReaderHandlers): Reader {
  const es = new Ctor(url);
  let done = false;
  const onFrame = (e: Event) => {
    if (!done && e instanceof MessageEvent && typeof e.data === 'string') h.data(e.data);
  };
  for (const type of FRAME_EVENTS) es.addEventListener(type, onFrame);
  es.addEventListener('message', onFrame);
  es.addEventListener('error', (e) => {
    if (done) return;
    // The hub's `error` events carry data; a connection error does not. The client, not the browser, reconnects.
    if (e instanceof MessageEvent && typeof e.data === 'string') return h.data(e.data);
    done = true;
    es.close();
    h.ended();
  });
  return {
    close() {
      done = true;
      es.close();
    },
  };
}

/** A fetch-based reader: the only way to send `Authorization` on a stream from a browser. */
export function readWithFetch(
  fetchFn: typeof fetch,
  url: string,
  headers: Record<string, string>,
  maxLineChars: number,
  h: ReaderHandlers,
): Reader {
  const controller = new AbortController();
  let done = false;
  const end = (refused?: { status: number; code: ErrorCode | undefined }) => {
    if (done) return;
    done = true;
    controller.abort();
    h.ended(refused);
  };
  const parser = new SseParser(
    {
      event: (e) => {
        if (!done) h.data(e.data);
      },
      comment: () => {
        if (!done) h.heartbeat();
      },
    },
    maxLineChars,
  );
  void (async () => {
    const res = await fetchFn(url, {
      headers: { accept: 'text/event-stream', ...headers },
      cache: 'no-store',
      signal: controller.signal,
    });
    if (!res.ok || res.body === null) {
      let code: ErrorCode | undefined;
      try {
        const body = (await res.json()) as { error?: { code?: unknown } };
        const c = body.error?.code;
        if (typeof c === 'string' && isErrorCode(c)) code = c;
      } catch {
        // Not a hub error body (a proxy's page): the status alone says what happened.
      }
      return end({ status: res.status, code });
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done: eof } = await reader.read();
      if (eof || done) break;
      h.heartbeat();
      parser.feed(decoder.decode(value, { stream: true }));
    }
    end();
  })().catch(() => end());
  return { close: () => end() };
}
