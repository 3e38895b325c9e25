import type { Publication } from '@switchboard/engine-kit';
import { encodeSseData } from '@switchboard/protocol';
import { encodeTextFrame } from '../transport/ws-frame.ts';
import { topLevelField } from './delivery/conflate-key.ts';

/**
 * One publication, serialized once for every subscriber on this node.
 *
 * The frame JSON is built once per publication; each transport's bytes are built the first time a subscriber of
 * that transport needs them and then shared: every WebSocket subscriber gets the same frame buffer, every SSE
 * subscriber the same `data:` block. Nothing here is per subscriber.
 */
export class PreparedPublication {
  readonly publication: Publication;
  /** `{"type":"message",...}` as JSON text. */
  readonly json: string;
  #wsFrame: Buffer | undefined;
  #sseData: Buffer | undefined;
  #sseSingle: Buffer | undefined;
  #sseSingleKey: string | undefined;
  /** The conflation key's value, found once for every lagging subscriber of a keyed `latest` channel. */
  #conflation: { readonly field: string; readonly value: string | undefined } | undefined;

  constructor(publication: Publication) {
    this.publication = publication;
    this.json = messageFrameJson(publication);
  }

  /** The JSON text of the data's top-level `field` (a `latest` channel's `conflateKey`), or undefined. */
  conflationKey(field: string): string | undefined {
    if (this.#conflation?.field !== field)
      this.#conflation = { field, value: topLevelField(this.publication.data, field) };
    return this.#conflation.value;
  }

  /** The complete WebSocket text frame. */
  get wsFrame(): Buffer {
    this.#wsFrame ??= encodeTextFrame(this.json);
    return this.#wsFrame;
  }

  /** The SSE `data:` lines and terminating blank line (no `id:`; streams prepend their own cursor). */
  get sseData(): Buffer {
    this.#sseData ??= Buffer.from(encodeSseData(this.json));
    return this.#sseData;
  }

  /**
   * The whole SSE event for a single-channel stream whose cursors start with `prefix`: `id:` is then the prefix
   * and this publication's position, the same for every such stream of the channel, so it is built once.
   */
  sseEventWithCursor(prefix: string): Buffer {
    if (this.#sseSingleKey !== prefix || this.#sseSingle === undefined) {
      const p = this.publication;
      this.#sseSingle = Buffer.concat([Buffer.from(`id: ${prefix}.${p.epoch}-${p.offset}\n`), this.sseData]);
      this.#sseSingleKey = prefix;
    }
    return this.#sseSingle;
  }
}

/** The `message` frame's JSON text; `data` is spliced in as the JSON text the engine carries. */
export function messageFrameJson(p: Publication): string {
  let json = `{"type":"message","channel":${JSON.stringify(p.channel)},"epoch":"${p.epoch}","offset":${p.offset}`;
  if (p.info !== undefined) json += `,"info":${JSON.stringify(p.info)}`;
  return `${json},"data":${p.data}}`;
}
