import {
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StoredMsg,
} from '@nats-io/jetstream';
import type {
  HistoryPolicy,
  HistoryQuery,
  HistoryResult,
  HistoryStore,
  Publication,
} from '@switchboard/engine-kit';
import { type ClientInfo, newEpoch, type Position } from '@switchboard/protocol';
import {
  decodePublication,
  MARKER_POLICY,
  publicationBody,
  publicationHeaders,
  type StoredEntry,
} from './codec.ts';
import { apiErrorCode, type NatsLink, STREAM_NOT_FOUND, WRONG_LAST_SEQUENCE } from './link.ts';
import { scan } from './scan.ts';
import type { Names } from './subjects.ts';
import type { NatsEngineConfig } from './url.ts';

/** Most channels whose last stored position a node remembers, to append without reading first. */
const MAX_CACHED = 10_000;
/** A read of at most this many publications walks back from the last one by direct gets instead of a consumer. */
const WALK_LIMIT = 8;
const PREV = 'Sb-Prev';

/**
 * History and positions in ONE JetStream stream, one subject per channel. The stream is the sequencer: every
 * message carries its channel's epoch and offset in headers, and an append is accepted only if the channel's
 * last message is still the one the appender read (`Nats-Expected-Last-Subject-Sequence`), so two nodes can
 * never give one offset twice and the position is stored in the same write as the publication. An empty channel
 * gets an epoch marker (offset 0) the same way, so its epoch is the same on every node before anything is
 * published. The epoch changes only when the channel's messages are gone: the stream was lost, `remove`, or the
 * channel outlived its metadata time to live.
 *
 * Trimming: the channel's size and age limits are applied when reading (the policy travels in each message),
 * and every few publications the subject is purged down to its size, so storage stays bounded by about 1.5x
 * the size; the stream's `max_msgs_per_subject` and `max_age` are hard caps over all channels.
 */
export class JetStreamHistory implements HistoryStore {
  readonly #link: NatsLink;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #names: Names;
  readonly #config: NatsEngineConfig;
  readonly #last = new Map<string, StoredEntry>();
  /** Appends of one channel from this node run one after another (fewer lost races with other nodes). */
  readonly #chains = new Map<string, Promise<unknown>>();

  constructor(
    link: NatsLink,
    js: JetStreamClient,
    jsm: JetStreamManager,
    names: Names,
    config: NatsEngineConfig,
  ) {
    this.#link = link;
    this.#js = js;
    this.#jsm = jsm;
    this.#names = names;
    this.#config = config;
  }

  /** Creates the stream, or brings its limits to the configured ones. Called at start and after reconnects. */
  async ensureStream(): Promise<void> {
    const wanted = {
      name: this.#names.stream,
      subjects: [this.#names.historySubjects],
      retention: RetentionPolicy.Limits,
      storage: this.#config.storage === 'file' ? StorageType.File : StorageType.Memory,
      num_replicas: this.#config.replicas,
      max_msgs_per_subject: this.#config.maxHistory,
      max_age: this.#config.maxAgeMs * 1_000_000,
      discard: DiscardPolicy.Old,
      allow_direct: true,
    };
    try {
      const info = await this.#jsm.streams.info(this.#names.stream);
      const c = info.config;
      if (c.max_msgs_per_subject !== wanted.max_msgs_per_subject || c.max_age !== wanted.max_age)
        await this.#jsm.streams.update(this.#names.stream, {
          max_msgs_per_subject: wanted.max_msgs_per_subject,
          max_age: wanted.max_age,
        });
    } catch (err) {
      if (apiErrorCode(err) !== STREAM_NOT_FOUND) throw err;
      await this.#jsm.streams.add(wanted);
    }
    this.#last.clear();
  }

  async top(channel: string): Promise<Position> {
    return this.#link.call('history top', async () => {
      const entry = await this.#liveEntry(channel);
      return { epoch: entry.publication.epoch, offset: entry.publication.offset };
    });
  }

  async remove(channel: string): Promise<void> {
    await this.#link.call('history remove', async () => {
      await this.#retryOnLostStream(() =>
        this.#jsm.streams.purge(this.#names.stream, { filter: this.#names.history(channel) }),
      );
      this.#last.delete(channel);
    });
  }

  /** Assigns the next position and stores the publication, in one conditional write. */
  append(
    channel: string,
    data: string,
    policy: HistoryPolicy,
    info: ClientInfo | undefined,
  ): Promise<Publication> {
    const previous = this.#chains.get(channel) ?? Promise.resolve();
    const run = previous.then(
      () => this.#link.call('publish', () => this.#append(channel, data, policy, info)),
      () => this.#link.call('publish', () => this.#append(channel, data, policy, info)),
    );
    const tail = run
      .catch(() => {})
      .finally(() => {
        if (this.#chains.get(channel) === tail) this.#chains.delete(channel);
      });
    this.#chains.set(channel, tail);
    return run;
  }

  async #append(
    channel: string,
    data: string,
    policy: HistoryPolicy,
    info: ClientInfo | undefined,
  ): Promise<Publication> {
    const subject = this.#names.history(channel);
    const deadline = Date.now() + this.#link.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      // Past the call's timeout the caller has its answer (`unavailable`): stop, rather than append late.
      if (Date.now() > deadline) throw new Error(`gave up after ${attempt - 1} contended attempts`);
      const now = Date.now();
      const last = this.#last.get(channel) ?? (await this.#lastEntry(channel));
      const fresh = last === undefined || expired(last, now);
      const epoch = fresh ? newEpoch() : last.publication.epoch;
      const offset = fresh ? 1 : last.publication.offset + 1;
      const publication: Publication =
        info === undefined
          ? { channel, epoch, offset, data, time: now }
          : { channel, epoch, offset, data, info, time: now };
      const headers = publicationHeaders(publication, policy);
      const expected = last?.seq ?? 0;
      headers.set(PREV, String(expected));
      try {
        const ack = await this.#retryOnLostStream(() =>
          this.#js.publish(subject, publicationBody(publication), {
            headers,
            expect: { lastSubjectSequence: expected },
            timeout: this.#link.timeoutMs,
          }),
        );
        this.#remember(channel, { seq: ack.seq, prev: expected, publication, policy });
        this.#trim(subject, offset, policy);
        return publication;
      } catch (err) {
        this.#last.delete(channel);
        if (apiErrorCode(err) !== WRONG_LAST_SEQUENCE) throw err;
        // Another node appended (or the stream changed) since we last looked: read the new last and try again.
      }
    }
  }

  /** Every few publications, purges the subject down to the channel's size (at least the last one stays). */
  #trim(subject: string, offset: number, policy: HistoryPolicy): void {
    const step = Math.max(8, Math.ceil(policy.size / 2));
    if (offset % step !== 0) return;
    this.#jsm.streams
      .purge(this.#names.stream, { filter: subject, keep: Math.max(1, policy.size) })
      .catch(() => {
        // Not fatal: reads apply the size limit anyway, and the next purge catches up.
      });
  }

  async read(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    return this.#link.call('history read', async () => {
      const last = await this.#liveEntry(channel);
      const top: Position = { epoch: last.publication.epoch, offset: last.publication.offset };
      const { size, ttlMs } = last.policy;
      const now = Date.now();
      const cutoff = now - ttlMs;
      const firstKept = Math.max(1, top.offset - size + 1);
      const since = query.since;
      const limit = query.limit;
      const recoverable =
        since !== undefined && since.epoch === top.epoch && since.offset <= top.offset && since.offset >= 0;
      if (since !== undefined && recoverable && since.offset === top.offset)
        return { top, publications: [], recovered: true };
      const held = (p: Publication) => p.offset >= firstKept && p.time >= cutoff;

      if (since !== undefined && recoverable) {
        const from = since.offset + 1;
        if (from < firstKept || size === 0)
          return { top, publications: await this.#newest(channel, last, limit, held), recovered: false };
        const wanted = top.offset - from + 1;
        const publications = await this.#range(channel, last, from, wanted, held);
        if (publications[0]?.offset !== from)
          return { top, publications: await this.#newest(channel, last, limit, held), recovered: false };
        return {
          top,
          publications: limit === undefined ? publications : publications.slice(0, limit),
          recovered: true,
        };
      }
      const publications = await this.#newest(channel, last, limit, held);
      return { top, publications, recovered: since === undefined };
    });
  }

  /** The newest held publications, at most `limit`. */
  async #newest(
    channel: string,
    last: StoredEntry,
    limit: number | undefined,
    held: (p: Publication) => boolean,
  ): Promise<Publication[]> {
    const top = last.publication.offset;
    const count = Math.min(last.policy.size, limit ?? Number.POSITIVE_INFINITY, top);
    if (count <= 0) return [];
    return this.#range(channel, last, top - count + 1, count, held);
  }

  /** The held publications with offsets from `from` to the last one, ascending (`count` of them when all held). */
  async #range(
    channel: string,
    last: StoredEntry,
    from: number,
    count: number,
    held: (p: Publication) => boolean,
  ): Promise<Publication[]> {
    const epoch = last.publication.epoch;
    const out: Publication[] = [];
    if (count <= WALK_LIMIT) {
      // Walk back from the last message along each message's predecessor.
      let entry: StoredEntry | undefined = last;
      let prev = last.prev;
      while (entry !== undefined && entry.publication.epoch === epoch && entry.publication.offset >= from) {
        out.push(entry.publication);
        if (entry.publication.offset === from || prev === 0) break;
        const m: StoredMsg | null = await this.#jsm.direct.getMessage(this.#names.stream, { seq: prev });
        const decoded = m === null ? undefined : this.#decode(channel, m);
        if (decoded === undefined || decoded.publication.offset !== entry.publication.offset - 1) break;
        entry = decoded;
        prev = decoded.prev;
      }
      out.reverse();
    } else {
      await scan(
        this.#jsm,
        this.#js,
        this.#names.stream,
        this.#names.history(channel),
        'all',
        this.#link.timeoutMs,
        (m) => {
          const decoded = decodePublication(channel, m.headers, m.data);
          if (decoded === undefined) return false;
          const p = decoded.publication;
          if (p.epoch === epoch && p.offset >= from && p.offset <= last.publication.offset) out.push(p);
          return p.epoch === epoch && p.offset >= last.publication.offset;
        },
      );
    }
    // Offsets are consecutive and times ascend, so what is no longer held is a prefix.
    return out.filter(held);
  }

  /** The channel's last stored message, creating an epoch marker for a channel with none (or an expired one). */
  async #liveEntry(channel: string): Promise<StoredEntry> {
    for (;;) {
      const last = await this.#lastEntry(channel);
      if (last !== undefined && !expired(last, Date.now())) return last;
      const marker: Publication = { channel, epoch: newEpoch(), offset: 0, data: '', time: Date.now() };
      const headers = publicationHeaders(marker, MARKER_POLICY);
      headers.set(PREV, String(last?.seq ?? 0));
      try {
        const ack = await this.#retryOnLostStream(() =>
          this.#js.publish(this.#names.history(channel), publicationBody(marker), {
            headers,
            expect: { lastSubjectSequence: last?.seq ?? 0 },
            timeout: this.#link.timeoutMs,
          }),
        );
        const entry = { seq: ack.seq, publication: marker, policy: MARKER_POLICY, prev: last?.seq ?? 0 };
        this.#remember(channel, entry);
        return entry;
      } catch (err) {
        if (apiErrorCode(err) !== WRONG_LAST_SEQUENCE) throw err;
        // Another node made the marker (or published) first: read what it wrote.
      }
    }
  }

  async #lastEntry(channel: string): Promise<StoredEntry | undefined> {
    const m = await this.#retryOnLostStream(() =>
      this.#jsm.direct.getMessage(this.#names.stream, { last_by_subj: this.#names.history(channel) }),
    );
    return m === null ? undefined : this.#decode(channel, m);
  }

  #decode(channel: string, m: StoredMsg): StoredEntry | undefined {
    const decoded = decodePublication(channel, m.header, m.data);
    if (decoded === undefined) return undefined;
    return { seq: m.seq, prev: Number(m.header.get(PREV)) || 0, ...decoded };
  }

  #remember(channel: string, entry: StoredEntry): void {
    this.#last.delete(channel);
    this.#last.set(channel, entry);
    if (this.#last.size > MAX_CACHED) {
      const oldest = this.#last.keys().next().value;
      if (oldest !== undefined) this.#last.delete(oldest);
    }
  }

  /** A stream lost under us (the broker restarted without its store) is made again, once, and the call retried. */
  async #retryOnLostStream<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (apiErrorCode(err) !== STREAM_NOT_FOUND && !isNoResponders(err)) throw err;
      await this.ensureStream();
      return op();
    }
  }
}

function isNoResponders(err: unknown): boolean {
  return err instanceof Error && (err.name === 'NoRespondersError' || err.message.includes('no responders'));
}

/** True when nothing of the channel is held any more and its metadata outlived its time to live. */
export function expired(entry: StoredEntry, now: number): boolean {
  const age = now - entry.publication.time;
  const held = entry.publication.offset > 0 && entry.policy.size > 0 && age <= entry.policy.ttlMs;
  return !held && age > entry.policy.metaTtlMs;
}
