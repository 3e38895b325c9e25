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
export const SSE_SINGLE_CHANNEL = defineEncoder<PreparedPublication>('sse-single-channel', (p) =>
  Buffer.from(singleChannelId(p) + encodeSseData(p.json)),
);

// Wire version 2 (docs/protocol.md, "Wire version 2: compact message frames"): a publication as a JSON array that
// names its channel by the node's `sid`, with its offset when the subscriber cannot infer it. Only for
// publications that are `compactable` (JSON data, no `info`); every connection of the node shares the bytes.

/** `[sid,data]`: the next offset after the last publication of the channel sent to the connection. */
export function impliedJson(p: PreparedPublication): string {
  return `[${p.sid},${p.publication.data as string}]`;
}

/** `[sid,offset,data]`: the same epoch as the last publication of the channel sent, at an explicit offset. */
export function explicitJson(p: PreparedPublication): string {
  return `[${p.sid},${p.publication.offset},${p.publication.data as string}]`;
}

/** A compact implied frame as a WebSocket text frame. */
export const WEBSOCKET_IMPLIED = defineEncoder<PreparedPublication>('websocket-implied', (p) =>
  encodeTextFrame(impliedJson(p)),
);

/** A compact explicit frame as a WebSocket text frame. */
export const WEBSOCKET_EXPLICIT = defineEncoder<PreparedPublication>('websocket-explicit', (p) =>
  encodeTextFrame(explicitJson(p)),
);

/** A compact implied frame's SSE `data:` block (multi-channel streams write their own `id:` before it). */
export const SSE_IMPLIED_DATA = defineEncoder<PreparedPublication>('sse-implied-data', (p) =>
  Buffer.from(encodeSseData(impliedJson(p))),
);

/** A compact explicit frame's SSE `data:` block. */
export const SSE_EXPLICIT_DATA = defineEncoder<PreparedPublication>('sse-explicit-data', (p) =>
  Buffer.from(encodeSseData(explicitJson(p))),
);

/** The `id:` line of a single-channel stream's event: the channel's cursor prefix and the position. */
function singleChannelId(p: PreparedPublication): string {
  const { channel, epoch, offset } = p.publication;
  // The hub's channel record carries the prefix, hashed once per channel; else the last channel's is reused.
  let prefix = p.cursorPrefix;
  if (prefix === undefined) {
    if (channel !== lastChannel) {
      lastChannel = channel;
      lastPrefix = cursorPrefix([channel]);
    }
    prefix = lastPrefix;
  }
  return `id: ${prefix}.${epoch}-${offset}\n`;
}

/** A single-channel stream's whole event for a compact implied frame: one string, one buffer. */
export const SSE_SINGLE_IMPLIED = defineEncoder<PreparedPublication>('sse-single-implied', (p) =>
  Buffer.from(singleChannelId(p) + encodeSseData(impliedJson(p))),
);

/** A single-channel stream's whole event for a compact explicit frame. */
export const SSE_SINGLE_EXPLICIT = defineEncoder<PreparedPublication>('sse-single-explicit', (p) =>
  Buffer.from(singleChannelId(p) + encodeSseData(explicitJson(p))),
);

/** A single-channel SSE stream's whole event, by the form of the delivery (`Continuity`: full, explicit, implied). */
export const SSE_SINGLE_BY_FORM = [SSE_SINGLE_CHANNEL, SSE_SINGLE_EXPLICIT, SSE_SINGLE_IMPLIED] as const;

/** A multi-channel SSE stream's `data:` block (its own `id:` goes before it), by the form of the delivery. */
export const SSE_DATA_BY_FORM = [SSE_MESSAGE_DATA, SSE_EXPLICIT_DATA, SSE_IMPLIED_DATA] as const;
