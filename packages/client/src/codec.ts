/**
 * How a channel's payloads read as the app's own type (`client.subscribe(channel, { codec })`): `encode` turns
 * what the app publishes into a payload, `decode` turns a received payload into the app's value. A payload is a
 * JSON value, or a `Uint8Array` for bytes (the hub carries those as bytes over both transports).
 */
export interface Codec<T> {
  encode(value: T): unknown;
  decode(data: unknown): T;
}

/** JSON values as they are: what a subscription without a codec does. */
export const JSON_CODEC: Codec<unknown> = { encode: (v) => v, decode: (d) => d };

/** Bytes: publishes a `Uint8Array` as bytes, and refuses (throws on) a received payload that is not bytes. */
export const BYTES_CODEC: Codec<Uint8Array> = {
  encode: (v) => {
    if (!(v instanceof Uint8Array)) throw new TypeError('this channel carries bytes: publish a Uint8Array');
    return v;
  },
  decode: (d) => {
    if (!(d instanceof Uint8Array)) throw new TypeError('expected bytes, got a JSON payload');
    return d;
  },
};
