/**
 * Every Redis name one channel uses. The channel sits in a `{hash tag}`, so in a Redis Cluster all of a
 * channel's keys and its sharded pub/sub channel map to one slot, which the atomic publish script needs.
 * (A `}` inside a channel name ends the tag early; the tag is still the same for every name of that channel.)
 */
export interface ChannelKeys {
  /** Hash: `e` epoch, `o` last offset, `h` history age limit, `m` metadata time to live. */
  readonly meta: string;
  /** Stream of publications; entry IDs are `<offset>-0`, so a position maps to an ID with no lookup. */
  readonly stream: string;
  /** Prefix of idempotency keys: `<idem><key>` holds the first publish's encoded result. */
  readonly idem: string;
  /**
   * Sorted set (`waitReplicas`): encoded publications not yet published live, scored by offset; released in
   * offset order once a replica holds them (scripts.ts, `RELEASE`).
   */
  readonly pending: string;
  /** Hash: client id -> presence entry JSON. */
  readonly presence: string;
  /** Sorted set: client id scored by the entry's expiry time (ms). */
  readonly presenceExpiry: string;
  /** The pub/sub channel publications, joins and leaves travel on. */
  readonly pubsub: string;
}

export function channelKeys(prefix: string, channel: string): ChannelKeys {
  const base = `${prefix}:{${channel}}`;
  return {
    meta: `${base}:meta`,
    stream: `${base}:stream`,
    idem: `${base}:idem:`,
    pending: `${base}:pending`,
    presence: `${base}:presence`,
    presenceExpiry: `${base}:presence-expiry`,
    pubsub: `${base}:pub`,
  };
}

/** The channel name back from its pub/sub channel name, or undefined for a name this prefix does not own. */
export function channelOfPubsub(prefix: string, name: string): string | undefined {
  const head = `${prefix}:{`;
  const tail = '}:pub';
  if (!name.startsWith(head) || !name.endsWith(tail) || name.length < head.length + tail.length)
    return undefined;
  return name.slice(head.length, -tail.length);
}
