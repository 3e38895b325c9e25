import { shouldReconnect } from '@switchboard/protocol';
import { parseFrame } from '../frames.ts';
import type { OpenParams, Transport } from './types.ts';

/** `http://h/` → `ws://h/ws`. */
export function webSocketUrl(base: string): string {
  return `${base.replace(/^http/, 'ws')}/ws`;
}

/** A WebSocket to `/ws`: commands out as JSON text, frames in. Authentication is an `auth` command (the client's). */
export function openWebSocket(params: OpenParams): Transport {
  const Ctor = params.deps.WebSocket;
  const { handlers } = params;
  if (Ctor === undefined) throw new TypeError('no WebSocket: pass one in the client options (`WebSocket`)');
  const ws = new Ctor(webSocketUrl(params.base));
  let connected = false;
  let done = false;
  const finish = (code: number, reason: string) => {
    if (done) return;
    done = true;
    handlers.closed({ code, reason, reconnect: shouldReconnect(code), beforeConnected: !connected });
  };
  ws.onmessage = (e: MessageEvent) => {
    if (done) return;
    handlers.alive();
    if (typeof e.data !== 'string') return;
    const frame = parseFrame(e.data);
    if (frame === null) return;
    if (frame.type === 'connected') connected = true;
    handlers.frame(frame);
  };
  // An error is always followed by a close event, which says how it ended; what the error said (Node's WebSocket
  // gives a message, browsers none) stands in for an empty close reason.
  let error = '';
  ws.onclose = (e: CloseEvent) => finish(e.code, e.reason === '' ? error : e.reason);
  ws.onerror = (e: Event) => {
    const message = (e as Event & { message?: unknown }).message;
    if (typeof message === 'string') error = message;
  };
  return {
    kind: 'websocket',
    fixedChannels: false,
    seesHeartbeats: true,
    send(command) {
      if (!done && ws.readyState === 1) ws.send(JSON.stringify(command));
    },
    close() {
      if (done) return;
      done = true;
      ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000);
      } catch {
        // Closing a socket that is still connecting can throw in some runtimes; it is dropped either way.
      }
    },
  };
}
