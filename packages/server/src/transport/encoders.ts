import { base64Of } from '@switchboard/engine-kit';
import { cursorPrefix, encodeSseData } from '@switchboard/protocol';
import { defineEncoder, messageHeadJson, type Prepared, type PreparedPublication } from '../core/prepared.ts';
import { encodeEnvelopeFrame, encodeTextFrame } from './ws-frame.ts';

// The wire formats of the two transports, for frames prepared once and written to many connections. Each is
// built at most once per frame (see `Encoder`); all are pure functions of the prepared frame.

/** A WebSocket text frame carrying the frame's JSON: what every WebSocket connection is sent. */
export const WEBSOCKET_JSON = defineEncoder<Prepared>('websocket-json', (f) => encodeTextFrame(f.json));

/**
 * A binary publication as a WebSocket binary frame holding its envelope (the `message` frame without its data,
 * then the bytes): what connections that negotiated `switchboard.binary` are sent for publications of bytes.
 * The base64 the engine carries is decoded here, once per publication on this node.
 */
export const WEBSOCKET_BINARY = defineEncoder<PreparedPublication>('websocket-binary', (p) =>
  encodeEnvelopeFrame(
    `${messageHeadJson(p.publication)}}`,
    Buffer.from(base64Of(p.publication.data), 'base64'),
  ),
);

/** An SSE event for a frame other than a publication: `event:` is the frame type, `data:` its JSON. */
export const SSE_EVENT = defineEncoder<Prepared>('sse-event', (f) =>
  Buffer.from(`event: ${f.type}\n${encodeSseData(f.json)}`),
);

/**
 * A publication's SSE `data:` lines and blank line, without `id:` (the default event type, so `onmessage`
 * fires): multi-channel streams write their own cursor before it.
 */
export const SSE_MESSAGE_DATA = defineEncoder<PreparedPublication>('sse-message-data', (p) =>
  Buffer.from(encodeSseData(p.json)),
);

let lastChannel = '';
let lastPrefix = '';

/**
 * A publication's whole SSE event for single-channel streams: their cursor is the channel's prefix and this
 * publication's position, the same for every such stream of the channel, so `id:` is shared too.
 */
export const SSE_SINGLE_CHANNEL = defineEncoder<PreparedPublication>('sse-single-channel', (p) => {
  const { channel, epoch, offset } = p.publication;
  if (channel !== lastChannel) {
    lastChannel = channel;
    lastPrefix = cursorPrefix([channel]);
  }
  return Buffer.concat([Buffer.from(`id: ${lastPrefix}.${epoch}-${offset}\n`), p.bytes(SSE_MESSAGE_DATA)]);
});
