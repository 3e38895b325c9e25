import { base64Of, isBinaryData, type Publication } from '@switchboard/engine-kit';
import type { PublicationView, ServerFrame } from '@switchboard/protocol';
import { topLevelField } from './delivery/conflate-key.ts';

/**
 * One wire format's bytes for a frame prepared once for many connections. Transports define their encoders
 * (the WebSocket text frame, the SSE event, …) with `defineEncoder`; a prepared frame builds each encoder's bytes
 * the first time a connection of that format needs them and keeps them in the encoder's slot, so every other
 * connection gets the same buffer. A new format (binary frames, another dialect) is one more encoder.
 *
 * `T` is what the encoder can encode: any prepared frame, or only publications.
 */
export interface Encoder<T extends Prepared = Prepared> {
  readonly name: string;
  /** Where prepared frames keep this encoder's bytes. */
  readonly slot: number;
  readonly encode: (frame: T) => Buffer;
}

let nextSlot = 0;

/** Registers a wire format: call once per format, at module load, and keep the encoder. */
export function defineEncoder<T extends Prepared>(name: string, encode: (frame: T) => Buffer): Encoder<T> {
  return { name, slot: nextSlot++, encode };
}

/** A frame serialized once: its type, its JSON text, and each encoder's bytes, built on first use. */
export abstract class Prepared {
  readonly type: ServerFrame['type'];
  /** The frame as JSON text. */
  readonly json: string;
  // The first format asked for is kept in two fields (most publications on a node go out in one format), the
  // others by slot: one publication allocates nothing for its encodings but their bytes.
  #firstSlot = -1;
  #first: Buffer | undefined;
  #others: (Buffer | undefined)[] | undefined;

  protected constructor(type: ServerFrame['type'], json: string) {
    this.type = type;
    this.json = json;
  }

  /** This frame in `encoder`'s format; built once, then the same buffer for every connection. */
  bytes<T extends Prepared>(this: T, encoder: Encoder<T>): Buffer {
    const self = this as Prepared;
    if (self.#firstSlot === encoder.slot) return self.#first!;
    const known = self.#others?.[encoder.slot];
    if (known !== undefined) return known;
    // An encoder may build on another's bytes (the SSE event on its data block): store after it returns.
    const bytes = encoder.encode(this);
    if (self.#firstSlot === -1) {
      self.#firstSlot = encoder.slot;
      self.#first = bytes;
    } else {
      self.#others ??= [];
      self.#others[encoder.slot] = bytes;
    }
    return bytes;
  }
}

/** A frame other than a publication, sent to many connections (a `join` or `leave` to a channel's subscribers). */
export class PreparedFrame extends Prepared {
  readonly frame: ServerFrame;

  constructor(frame: ServerFrame) {
    super(frame.type, JSON.stringify(frame));
    this.frame = frame;
  }
}

/**
 * How a delivery follows the last publication this connection was sent on the channel (wire version 2 picks its
 * frame by it): `FULL`, another epoch (or nothing sent yet); `EXPLICIT`, the same epoch but not the next offset;
 * `IMPLIED`, the next offset in the same epoch.
 */
export type Continuity = 0 | 1 | 2;
export const FULL: Continuity = 0;
export const EXPLICIT: Continuity = 1;
export const IMPLIED: Continuity = 2;

/**
 * One publication, serialized once for every subscriber on this node: the `message` frame's JSON is built by
 * splicing the payload text into a template (never re-serialized), and each transport's bytes are built once and
 * shared. Nothing here is per subscriber.
 */
export class PreparedPublication extends Prepared {
  readonly publication: Publication;
  /** When the hub took it from the engine (`performance.now()`): where publish-to-write latency starts. */
  readonly at = performance.now();
  /** The conflation key's value, found once for every lagging subscriber of a keyed `latest` channel. */
  #conflation: { readonly field: string; readonly value: string | undefined } | undefined;

  /** The payload is bytes: `json` carries them as `data_b64`, and binary encoders write them as they are. */
  readonly binary: boolean;
  /** The channel's alias on this node (`Hub`), used by compact frames; 0 when it has none. */
  readonly sid: number;
  /** Wire version 2 may send it as a compact frame: JSON data, no `info`, and the channel has a `sid`. */
  readonly compactable: boolean;
  /**
   * The prefix of the channel's single-channel SSE cursors (`cursorPrefix([channel])`), when the caller has it
   * cached (the hub's `ChannelEntry`); else the SSE encoders hash the channel name.
   */
  readonly cursorPrefix: string | undefined;

  constructor(publication: Publication, sid = 0, cursorPrefix?: string) {
    const binary = isBinaryData(publication.data);
    super('message', messageFrameJson(publication, binary));
    this.publication = publication;
    this.binary = binary;
    this.sid = sid;
    this.compactable = sid > 0 && !binary && publication.info === undefined;
    this.cursorPrefix = cursorPrefix;
  }

  /**
   * The form this publication takes on a connection (`compact`: it negotiated wire version 2) when the delivery
   * follows the connection's last one as `continuity` says: a compact form only where it may be compact, else
   * `FULL` (the version-1 frame).
   */
  form(compact: boolean, continuity: Continuity): Continuity {
    return compact && this.compactable ? continuity : FULL;
  }

  /**
   * The JSON text of the data's top-level `field` (a `latest` channel's `conflateKey`), or undefined (always for
   * bytes, which have no fields: they conflate together with every other publication that has no key).
   */
  conflationKey(field: string): string | undefined {
    if (this.#conflation?.field !== field)
      this.#conflation = {
        field,
        value: this.binary ? undefined : topLevelField(this.publication.data, field),
      };
    return this.#conflation.value;
  }
}

/** The `message` frame's header: every field but the payload, as JSON text without its closing brace. */
export function messageHeadJson(p: Publication): string {
  let json = `{"type":"message","channel":${JSON.stringify(p.channel)},"epoch":"${p.epoch}","offset":${p.offset}`;
  if (p.info !== undefined) json += `,"info":${JSON.stringify(p.info)}`;
  return json;
}

/**
 * The `message` frame's JSON text; `data` is spliced in as the JSON text the engine carries, or bytes as
 * `data_b64` from the base64 the engine carries (base64 needs no escaping).
 */
export function messageFrameJson(p: Publication, binary = isBinaryData(p.data)): string {
  const head = messageHeadJson(p);
  return binary ? `${head},"data_b64":"${base64Of(p.data)}"}` : `${head},"data":${p.data}}`;
}

/** A publication as history returns it (the HTTP API's and the `history` frame's `publications`). */
export function publicationView(p: Publication): PublicationView {
  const payload = isBinaryData(p.data)
    ? { data_b64: base64Of(p.data) }
    : { data: JSON.parse(p.data) as unknown };
  return { epoch: p.epoch, offset: p.offset, ...payload, ...(p.info ? { info: p.info } : {}) };
}

/** Every publication prepared (the missed ones a subscription writes first). */
export function prepareAll(
  publications: Iterable<Publication>,
  sid = 0,
  cursorPrefix?: string,
): PreparedPublication[] {
  const out: PreparedPublication[] = [];
  for (const p of publications) out.push(new PreparedPublication(p, sid, cursorPrefix));
  return out;
}
