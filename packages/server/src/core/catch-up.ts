import type { HistoryStore, Publication } from '@switchboard/engine-kit';
import type { Position } from '@switchboard/protocol';

/** Where a new subscription starts, and what it is sent before live publications. */
export interface StartingPoint {
  /** The stream's position at subscription time (the `subscribed` frame's). */
  readonly top: Position;
  /** The client asked to resume and everything after its position follows. */
  readonly recovered: boolean;
  /** The position the client is at before `missed`: its own on a recovered resume, else just before `missed`. */
  readonly start: Position;
  /** What the subscription writes first: the missed publications, the last value, or nothing. */
  readonly missed: readonly Publication[];
}

/**
 * Reads where a subscription starts. `since` undefined: a fresh subscription; null: the client asked to resume
 * from a position that could not be read. A recovered resume gets exactly what it missed. Otherwise, with
 * `lastValue`, the newest publication comes first (when the channel has one: it is the state a client without a
 * usable position needs), and the subscription starts just before it; without, it starts at the top.
 */
export async function startingPoint(
  history: HistoryStore,
  channel: string,
  since: Position | null | undefined,
  lastValue: boolean,
): Promise<StartingPoint> {
  if (since != null) {
    const result = await history.read(channel, { since });
    if (result.recovered)
      return { top: result.top, recovered: true, start: since, missed: result.publications };
    if (!lastValue) return { top: result.top, recovered: false, start: result.top, missed: [] };
  }
  if (!lastValue) {
    const top = await history.top(channel);
    return { top, recovered: false, start: top, missed: [] };
  }
  const newest = await history.read(channel, { limit: 1 });
  const p = newest.publications.at(-1);
  const isTop = p !== undefined && p.epoch === newest.top.epoch && p.offset === newest.top.offset;
  return isTop
    ? { top: newest.top, recovered: false, start: { epoch: p.epoch, offset: p.offset - 1 }, missed: [p] }
    : { top: newest.top, recovered: false, start: newest.top, missed: [] };
}

/** The refusal of a history read past the connection's budget (`limits.historyReadRate`). */
export const HISTORY_BUDGET_SPENT = "this connection's history read budget is spent; retry in a moment";

/** What reading `publications` cost, in bytes of payload (what a connection's history read budget counts). */
export function historyBytes(publications: readonly Publication[]): number {
  let bytes = 0;
  for (const p of publications) bytes += p.data.length;
  return bytes;
}
