import {
  type ClientCommand,
  type CommandId,
  decodeBase64,
  decodeEnvelope,
  encodeBase64,
  encodeEnvelope,
  type MessageFrame,
  type Position,
  readCompact,
  type ServerFrame,
} from '@switchboard/protocol';

/** Frames that answer a command, matched to their call by `id`. */
export type ReplyFrame = Extract<ServerFrame, { readonly id?: CommandId }>;

/** A command before the client gives it an id. */
export type CommandBody = ClientCommand extends infer C
  ? C extends ClientCommand
    ? Omit<C, 'id'>
    : never
  : never;

export function isPosition(value: unknown): value is Position {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { epoch?: unknown; offset?: unknown };
  return typeof v.epoch === 'string' && typeof v.offset === 'number';
}

/**
 * Parses one frame's JSON text; null when it is not a JSON object with a string `type`. Payloads of bytes
 * (`data_b64`, in `message` and `history` frames) come out as `data`, a `Uint8Array`.
 */
export function parseFrame(text: string, wire?: CompactFrames): ServerFrame | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (Array.isArray(value)) return wire === undefined ? null : wire.expand(value);
  if (typeof value !== 'object' || value === null) return null;
  if (typeof (value as { type?: unknown }).type !== 'string') return null;
  const frame = value as ServerFrame;
  if (frame.type === 'message') return withBytes(frame);
  if (frame.type === 'history' && frame.publications.some((p) => p.data_b64 !== undefined))
    return { ...frame, publications: frame.publications.map(withBytes) };
  return frame;
}

/** A payload given as `data_b64` turned into `data`, a `Uint8Array` (base64 that does not decode: empty). */
function withBytes<T extends { readonly data?: unknown; readonly data_b64?: string }>(p: T): T {
  if (typeof p.data_b64 !== 'string') return p;
  const { data_b64, ...rest } = p;
  return { ...rest, data: decodeBase64(data_b64) ?? new Uint8Array(0) } as T;
}

/**
 * A binary WebSocket frame from the hub (an envelope: a `message` frame's header, then the payload's bytes) as
 * a `message` frame whose `data` is a `Uint8Array`; null when it is not one.
 */
export function parseBinaryFrame(bytes: Uint8Array): ServerFrame | null {
  const envelope = decodeEnvelope(bytes);
  if (!envelope.ok || envelope.header.type !== 'message') return null;
  return { ...(envelope.header as unknown as ServerFrame & { type: 'message' }), data: envelope.payload };
}

/** A command as JSON text: a publish of bytes (`data` a `Uint8Array`) carries them as `data_b64`. */
export function commandText(command: ClientCommand): string {
  if (command.type === 'publish' && command.data instanceof Uint8Array) {
    const { data, ...rest } = command;
    return JSON.stringify({ ...rest, data_b64: encodeBase64(data) });
  }
  return JSON.stringify(command);
}

/** A publish of bytes as a binary envelope (the command without its data, then the bytes); null for others. */
export function commandEnvelope(command: ClientCommand): Uint8Array<ArrayBuffer> | null {
  if (command.type !== 'publish' || !(command.data instanceof Uint8Array)) return null;
  const { data, ...rest } = command;
  return encodeEnvelope(JSON.stringify(rest), data);
}

interface Place {
  readonly channel: string;
  readonly sid: number;
  epoch: string;
  offset: number;
}

/**
 * One connection's reading of wire version 2 (docs/protocol.md, "Wire version 2: compact message frames"): the
 * channel of each `sid` its `subscribed` frames gave, and the last position on each, so a compact frame
 * (`[sid,data]`, `[sid,offset,data]`) becomes the `message` frame it stands for. Every frame the connection
 * receives goes through `track`, in order; a connection to a hub that answered version 1 never sees a `sid`
 * and this stays empty.
 */
export class CompactFrames {
  readonly #bySid = new Map<number, Place>();
  readonly #byChannel = new Map<string, Place>();

  /** Follows the positions of every frame that is not compact. */
  track(frame: ServerFrame): void {
    if (frame.type === 'message') {
      const place = this.#byChannel.get(frame.channel);
      if (place !== undefined) {
        place.epoch = frame.epoch;
        place.offset = frame.offset;
      }
    } else if (frame.type === 'subscribed') {
      this.#forget(frame.channel);
      if (frame.sid === undefined) return;
      const place: Place = {
        channel: frame.channel,
        sid: frame.sid,
        epoch: frame.epoch,
        offset: frame.offset,
      };
      this.#bySid.set(frame.sid, place);
      this.#byChannel.set(frame.channel, place);
    } else if (frame.type === 'unsubscribed') {
      this.#forget(frame.channel);
    }
  }

  /** The `message` frame a compact one stands for; null for an unknown `sid` or a malformed array. */
  expand(value: unknown[]): MessageFrame | null {
    const compact = readCompact(value);
    if (compact === null) return null;
    const place = this.#bySid.get(compact.sid);
    if (place === undefined) return null;
    place.offset = compact.offset ?? place.offset + 1;
    return {
      type: 'message',
      channel: place.channel,
      epoch: place.epoch,
      offset: place.offset,
      data: compact.data,
    };
  }

  #forget(channel: string): void {
    const place = this.#byChannel.get(channel);
    if (place === undefined) return;
    this.#byChannel.delete(channel);
    this.#bySid.delete(place.sid);
  }
}
