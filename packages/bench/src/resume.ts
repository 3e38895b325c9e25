// The pure parts of the reconnect storm (scenarios/storm-resume.ts): the SSE resume cursor of a one-channel
// stream, and what each resumed client lost. Positions are the hub's `{epoch, offset}` (docs/protocol.md,
// sections 2 and 6); within one epoch an offset names one publication of the channel.

/** FNV-1a (32-bit) of a channel name, base 36: the fingerprint of a one-channel stream's cursor. */
export function channelFingerprint(channel: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < channel.length; i++) hash = Math.imul(hash ^ channel.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36);
}

/** The cursor of a one-channel SSE stream at `{epoch, offset}`: what it sends back as `Last-Event-ID`. */
export function sseCursor(channel: string, epoch: string, offset: number): string {
  return `1.${channelFingerprint(channel)}.${epoch}-${offset}`;
}

/**
 * Publications a client lost: the offsets its channel accepted (the publisher's 200 answers) after the position
 * it first subscribed at, that it never received.
 */
export function lostOffsets(
  accepted: readonly number[],
  from: number,
  received: ReadonlySet<number>,
): number {
  let lost = 0;
  for (const o of accepted) if (o > from && !received.has(o)) lost++;
  return lost;
}

export interface ResumeTally {
  clients: number;
  /** Clients that resumed: their resuming subscription was confirmed. */
  resumed: number;
  /** …of which the hub said it could not recover (`recovered: false`). */
  unrecovered: number;
  /** Publications lost, summed over clients (accepted after a client's first position, never received). */
  lost: number;
  /** Clients that lost at least one. */
  clientsLosing: number;
  /** Publications a client received twice, summed. */
  duplicates: number;
}

export interface ResumeOutcome {
  channel: string;
  /** Offset of the client's first subscription (everything after it is owed). */
  from: number;
  received: ReadonlySet<number>;
  duplicates: number;
  resumed: boolean;
  recovered: boolean | undefined;
}

/** Sums the storm's clients against the offsets each channel accepted. */
export function tallyResume(
  clients: readonly ResumeOutcome[],
  accepted: ReadonlyMap<string, readonly number[]>,
): ResumeTally {
  const t: ResumeTally = {
    clients: clients.length,
    resumed: 0,
    unrecovered: 0,
    lost: 0,
    clientsLosing: 0,
    duplicates: 0,
  };
  for (const c of clients) {
    if (c.resumed) t.resumed++;
    if (c.resumed && c.recovered === false) t.unrecovered++;
    const lost = lostOffsets(accepted.get(c.channel) ?? [], c.from, c.received);
    t.lost += lost;
    if (lost > 0) t.clientsLosing++;
    t.duplicates += c.duplicates;
  }
  return t;
}
