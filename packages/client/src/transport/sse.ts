import {
  CLOSE_CODES,
  type ClientCommand,
  encodeCursor,
  normalizeChannels,
  type Position,
  type ServerFrame,
  WIRE_PARAM,
  WIRE_VERSION,
} from '@switchboard/protocol';
import { CompactFrames, commandText, parseFrame } from '../frames.ts';
import { type Reader, readWithEventSource, readWithFetch } from './sse-readers.ts';
import type { OpenParams, Transport } from './types.ts';

/**
 * The position sent for a channel that has none yet in a resume cursor (which needs one per channel). No real
 * epoch is this short, so the hub answers `recovered: false` and starts the channel live — what a new
 * subscription wants; the client does not report that `recovered: false`, since it asked for nothing.
 */
export const NO_POSITION: Position = { epoch: '0', offset: 0 };

/** The standard close code of a link that broke without a close (RFC 6455): a stream that just ended. */
const ABNORMAL_CLOSURE = 1006;

/**
 * `GET /sse?channel=…[&since=cursor]&wire=2` for a channel set and its resume positions. `wire=2` asks for
 * compact message frames; a hub that does not speak them ignores it.
 */
export function sseUrl(base: string, channels: OpenParams['channels']): string {
  const names = normalizeChannels(channels.map((c) => c.channel));
  const qs = new URLSearchParams();
  for (const name of names) qs.append('channel', name);
  if (channels.some((c) => c.since !== undefined)) {
    const byName = new Map(channels.map((c) => [c.channel, c.since]));
    qs.set(
      'since',
      encodeCursor(
        names,
        names.map((n) => byName.get(n) ?? NO_POSITION),
      ),
    );
  }
  qs.set(WIRE_PARAM, String(WIRE_VERSION));
  return `${base}/sse?${qs.toString()}`;
}

/**
 * An SSE stream for a fixed channel set, plus `POST /sse/command` for everything else (publish, history,
 * presence, ping, auth refresh) with the `session` secret of the stream's `connected` frame. Replies come back
 * through `handlers.frame`, like WebSocket replies.
 */
export function openSse(params: OpenParams): Transport {
  const { handlers, deps, token } = params;
  const url = sseUrl(params.base, params.channels);
  let session: string | undefined;
  let disconnect: { code: number; reason: string; reconnect: boolean } | undefined;
  let connected = false;
  let done = false;
  let reader: Reader | undefined;
  const wire = new CompactFrames();

  const onData = (text: string) => {
    if (done) return;
    handlers.alive();
    const frame = parseFrame(text, wire);
    if (frame === null) return;
    wire.track(frame);
    if (frame.type === 'connected') {
      connected = true;
      session = frame.session;
    }
    if (frame.type === 'disconnect') disconnect = frame;
    handlers.frame(frame);
  };
  const onEnded = (refused?: { status: number; code: string | undefined }) => {
    if (done) return;
    done = true;
    if (refused !== undefined) {
      // Refused before the stream started: 401/403 need new credentials; 4xx would fail the same way again.
      const code =
        refused.status === 401
          ? CLOSE_CODES.unauthorized.code
          : refused.status === 403
            ? CLOSE_CODES.forbidden.code
            : CLOSE_CODES.bad_request.code;
      const retry = refused.status >= 500 || refused.status === 429 || refused.status === 408;
      return handlers.closed({
        code: retry ? CLOSE_CODES.connection_limit.code : code,
        reason: refused.code ?? `http_${refused.status}`,
        reconnect: retry,
        beforeConnected: true,
      });
    }
    if (disconnect !== undefined) {
      return handlers.closed({ ...disconnect, beforeConnected: !connected });
    }
    handlers.closed({
      code: ABNORMAL_CLOSURE,
      reason: 'stream ended',
      reconnect: true,
      beforeConnected: !connected,
    });
  };

  // A token needs a header, which only a fetch-based reader can send; otherwise the platform's EventSource.
  const useFetch = token !== undefined || deps.EventSource === undefined;
  const readerHandlers = { data: onData, heartbeat: () => !done && handlers.alive(), ended: onEnded };
  if (useFetch && deps.fetch !== undefined) {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    reader = readWithFetch(deps.fetch, url, headers, params.maxEventBytes, readerHandlers);
  } else if (deps.EventSource !== undefined) {
    reader = readWithEventSource(deps.EventSource, url, readerHandlers);
  } else {
    throw new TypeError('SSE needs fetch or EventSource: pass one in the client options');
  }

  const reply = (frame: ServerFrame) => {
    if (!done || 'id' in frame) handlers.frame(frame);
  };
  const fail = (command: ClientCommand, code: 'unavailable' | 'not_found', message: string) => {
    if (command.id !== undefined) reply({ type: 'error', id: command.id, code, message });
  };

  return {
    kind: 'sse',
    fixedChannels: true,
    seesHeartbeats: useFetch,
    send(command) {
      if (command.type === 'subscribe' || command.type === 'unsubscribe') return;
      const fetchFn = deps.fetch;
      if (fetchFn === undefined || session === undefined)
        return fail(command, 'unavailable', 'not connected');
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-switchboard-session': session,
      };
      fetchFn(`${params.base}/sse/command`, { method: 'POST', headers, body: commandText(command) })
        .then(async (res) => {
          const frame = parseFrame(await res.text());
          if (frame !== null) {
            if (frame.type === 'error' && command.id !== undefined && frame.id === undefined) {
              reply({ ...frame, id: command.id });
            } else reply(frame);
          } else fail(command, 'unavailable', `the hub answered ${res.status}`);
          // The stream's session is gone (the hub dropped it): this transport is dead too.
          if (res.status === 404 && frame?.type === 'error' && frame.code === 'not_found') {
            reader?.close();
            onEnded();
          }
        })
        .catch(() => fail(command, 'unavailable', 'the command could not reach the hub'));
    },
    close() {
      if (done) return;
      done = true;
      reader?.close();
    },
  };
}
