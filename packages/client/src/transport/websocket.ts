import { BINARY_SUBPROTOCOL, shouldReconnect, WIRE_PARAM, WIRE_VERSION } from '@switchboard/protocol';
import { CompactFrames, commandEnvelope, commandText, parseBinaryFrame, parseFrame } from '../frames.ts';
import type { OpenParams, Transport } from './types.ts';

/**
 * `http://h/` → `ws://h/ws?wire=2`: asks for wire version 2 (compact message frames); a hub that does not speak
 * it ignores the parameter and sends version 1 frames, which the client reads as well.
 */
export function webSocketUrl(base: string): string {
  return `${base.replace(/^http/, 'ws')}/ws?${WIRE_PARAM}=${WIRE_VERSION}`;
}

/**
 * A WebSocket to `/ws`: commands out as JSON text (a publish of bytes as a binary envelope), frames in. Authentication is an `auth` command (the client's). */
export function openWebSocket(params: OpenParams): Transport {
  const Ctor = params.deps.WebSocket;
  const { handlers } = params;
  if (Ctor === undefined) throw new TypeError('no WebSocket: pass one in the client options (`WebSocket`)');
  // Offers `switchboard.binary`: publications of bytes then come as binary frames, not base64 text.
  const ws = new Ctor(webSocketUrl(params.base), [BINARY_SUBPROTOCOL]);
  ws.binaryType = 'arraybuffer';
  let connected = false;
  let done = false;
  const wire = new CompactFrames();
  const finish = (code: number, reason: string) => {
    if (done) return;
    done = true;
    handlers.closed({ code, reason, reconnect: shouldReconnect(code), beforeConnected: !connected });
  };
  ws.onmessage = (e: MessageEvent) => {
    if (done) return;
    handlers.alive();
    const frame =
      typeof e.data === 'string'
        ? parseFrame(e.data, wire)
        : e.data instanceof ArrayBuffer
          ? parseBinaryFrame(new Uint8Array(e.data))
          : null;
    if (frame === null) return;
    wire.track(frame);
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
      if (done || ws.readyState !== 1) return;
      const envelope = ws.protocol === BINARY_SUBPROTOCOL ? commandEnvelope(command) : null;
      ws.send(envelope ?? commandText(command));
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
