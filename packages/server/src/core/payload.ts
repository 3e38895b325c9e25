import { SwitchboardError } from '../errors.ts';

/** A payload serialized once: its JSON text and UTF-8 size. */
export class Payload {
  readonly json: string;
  readonly bytes: number;

  private constructor(json: string) {
    this.json = json;
    this.bytes = Buffer.byteLength(json);
  }

  /** Serializes `data`; refuses what JSON cannot carry (`undefined`, a function). */
  static of(data: unknown): Payload {
    const json = JSON.stringify(data);
    if (json === undefined) throw new SwitchboardError('bad_request', 'data must be a JSON value');
    return new Payload(json);
  }
}
