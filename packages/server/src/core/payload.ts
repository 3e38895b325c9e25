import { binaryData } from '@switchboard/engine-kit';
import { SwitchboardError } from '../errors.ts';

/**
 * A payload serialized once: the `Publication.data` string engines carry (JSON text, or `b` + base64 for
 * bytes) and the payload's size in bytes (the JSON's UTF-8 length, or the number of bytes), which the size
 * limits count.
 */
export class Payload {
  readonly data: string;
  readonly bytes: number;
  readonly binary: boolean;

  private constructor(data: string, bytes: number, binary: boolean) {
    this.data = data;
    this.bytes = bytes;
    this.binary = binary;
  }

  /**
   * Serializes `data`: a `Uint8Array` (a `Buffer` too) is a payload of bytes, anything else a JSON value. Refuses
   * what JSON cannot carry (`undefined`, a function).
   */
  static of(data: unknown): Payload {
    if (data instanceof Uint8Array) {
      const base64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
      return new Payload(binaryData(base64), data.byteLength, true);
    }
    const json = JSON.stringify(data);
    if (json === undefined) throw new SwitchboardError('bad_request', 'data must be a JSON value');
    return new Payload(json, Buffer.byteLength(json), false);
  }
}
