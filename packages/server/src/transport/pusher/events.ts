import { base64Of, isBinaryData, type Publication } from '@switchboard/engine-kit';
import { defineEncoder, type PreparedPublication } from '../../core/prepared.ts';
import { encodeTextFrame } from '../ws-frame.ts';
import { pusherChannel } from './names.ts';

/**
 * How a publication reads as a Pusher event (docs/pusher.md, "One hub, two dialects"):
 * - data that is an object `{"event": "<name>", "data": …}` (what the Pusher API and client events publish; a
 *   Switchboard publisher may send the same shape) is the event `<name>` with that `data`, as it is (Pusher's
 *   server events carry a string, client events any JSON); a `user_id` string in it is passed on;
 * - any other data is the event `message` whose `data` is the payload's JSON text (pusher-js parses it back);
 *   bytes are `{"data_b64": …}` there (see `eventJson`).
 */
export interface PusherEnvelope {
  readonly event: string;
  readonly data: unknown;
  readonly user_id?: string;
}

/** The envelope in a publication's JSON text, or null when the data is not one. */
export function envelopeOf(json: string): PusherEnvelope | null {
  // Only objects whose text starts like one can be envelopes: most publications are never parsed here.
  if (!json.startsWith('{"event":')) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const o = value as Record<string, unknown>;
  if (typeof o.event !== 'string' || !('data' in o)) return null;
  return typeof o.user_id === 'string'
    ? { event: o.event, data: o.data, user_id: o.user_id }
    : { event: o.event, data: o.data };
}

/**
 * The Pusher event frame's JSON text for a publication. Pusher events are JSON text, so a publication of bytes
 * is the event `message` whose data is `{"data_b64": "<base64>"}`'s JSON text, the form the rest of the hub uses.
 */
export function eventJson(p: Publication): string {
  const channel = pusherChannel(p.channel);
  if (isBinaryData(p.data))
    return JSON.stringify({ event: 'message', channel, data: `{"data_b64":"${base64Of(p.data)}"}` });
  const envelope = envelopeOf(p.data);
  if (envelope === null) return JSON.stringify({ event: 'message', channel, data: p.data });
  return JSON.stringify(
    envelope.user_id === undefined
      ? { event: envelope.event, channel, data: envelope.data }
      : { event: envelope.event, channel, data: envelope.data, user_id: envelope.user_id },
  );
}

/** A publication as a Pusher event in a WebSocket text frame: built once, shared by every Pusher subscriber. */
export const PUSHER_EVENT = defineEncoder<PreparedPublication>('pusher-event', (p) =>
  encodeTextFrame(eventJson(p.publication)),
);
