import type { Msg, Subscription } from '@nats-io/nats-core';
import type {
  Broker,
  BrokerHandler,
  Publication,
  PublishOptions,
  PublishResult,
} from '@switchboard/engine-kit';
import type { ClientInfo, Position } from '@switchboard/protocol';
import {
  decodeClient,
  decodePublication,
  kindOf,
  presenceMessage,
  publicationBody,
  publicationHeaders,
} from './codec.ts';
import type { JetStreamHistory } from './history.ts';
import type { KvIdempotency } from './idempotency.ts';
import type { NatsLink } from './link.ts';
import type { Names } from './subjects.ts';

/** Most live publications held for one channel while its gap is filled; past it they are dropped and refilled. */
const MAX_QUEUED = 10_000;
const CATCH_UP_RETRY_MS = 250;
const CATCH_UP_ATTEMPTS = 40;
const CATCH_UP_CONCURRENCY = 16;

interface Channel {
  readonly sub: Subscription;
  /** Last position handed to the handler (or the stream's top when this node subscribed). */
  last: Position | undefined;
  /** While history fills a gap, live publications wait here in arrival order. */
  queue: Publication[] | null;
  /** A catch-up was asked for while one was running: run again when it ends. */
  again: boolean;
}

/**
 * Publications between nodes on core NATS, one subject per channel. The publishing node appends to JetStream
 * first (which assigns the position) and then publishes the same message on the channel's live subject, so
 * nothing is delivered that is not in history. Core NATS is at most once and, with several publishers, not
 * ordered between them; each node therefore hands publications on per channel in offset order: a duplicate or
 * late one is dropped, and a jump is filled from history before anything after it. After a reconnect every
 * subscribed channel is read from history past its last position, so what was published while this node was
 * away arrives even if nothing else is ever published.
 */
export class NatsBroker implements Broker {
  readonly #link: NatsLink;
  readonly #history: JetStreamHistory;
  readonly #idempotency: KvIdempotency;
  readonly #names: Names;
  readonly #channels = new Map<string, Channel>();
  #handler: BrokerHandler | undefined;

  constructor(link: NatsLink, history: JetStreamHistory, idempotency: KvIdempotency, names: Names) {
    this.#link = link;
    this.#history = history;
    this.#idempotency = idempotency;
    this.#names = names;
  }

  async start(handler: BrokerHandler): Promise<void> {
    this.#link.guard();
    this.#handler = handler;
  }

  async publish(channel: string, data: string, options: PublishOptions): Promise<PublishResult> {
    const once = async (): Promise<Publication> => {
      const publication = await this.#history.append(channel, data, options.history, options.info);
      try {
        this.#link.nc.publish(this.#names.live(channel), publicationBody(publication), {
          headers: publicationHeaders(publication, options.history, 'pub'),
        });
      } catch {
        // The link closed right after the append: the publication is in history, and every node's catch-up
        // after its reconnect delivers it.
      }
      return publication;
    };
    const key = options.idempotencyKey;
    if (key === undefined) return { publication: await once(), duplicate: false };
    return this.#link.call('publish', () =>
      this.#idempotency.run(channel, key, options.idempotencyTtlMs ?? 300_000, once),
    );
  }

  async publishJoin(channel: string, client: ClientInfo): Promise<void> {
    this.#announce(channel, 'join', client);
  }

  async publishLeave(channel: string, client: ClientInfo): Promise<void> {
    this.#announce(channel, 'leave', client);
  }

  #announce(channel: string, kind: 'join' | 'leave', client: ClientInfo): void {
    this.#link.guard();
    const m = presenceMessage(kind, client);
    this.#link.nc.publish(this.#names.live(channel), m.body, { headers: m.headers });
  }

  async subscribe(channel: string): Promise<void> {
    if (this.#channels.has(channel)) return;
    this.#link.guard();
    const sub = this.#link.nc.subscribe(this.#names.live(channel), {
      callback: (err, msg) => {
        if (err === null) this.#onMessage(channel, msg);
      },
    });
    const entry: Channel = { sub, last: undefined, queue: null, again: false };
    this.#channels.set(channel, entry);
    try {
      // Once the server has the subscription, the stream's top is where this node starts: anything after it
      // arrives live, and a catch-up after a reconnect knows where to read from.
      await this.#link.call('subscribe', () => this.#link.nc.flush());
      const top = await this.#history.top(channel);
      if (entry.last === undefined) entry.last = top;
    } catch (err) {
      if (this.#channels.get(channel) === entry) this.#channels.delete(channel);
      sub.unsubscribe();
      throw err;
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    const entry = this.#channels.get(channel);
    if (entry === undefined) return;
    this.#channels.delete(channel);
    entry.queue = null;
    if (!entry.sub.isClosed()) entry.sub.unsubscribe();
  }

  async close(): Promise<void> {
    for (const channel of [...this.#channels.keys()]) await this.unsubscribe(channel);
    this.#handler = undefined;
  }

  /**
   * After a reconnect: every subscribed channel reads what it missed, at most `CATCH_UP_CONCURRENCY` at a time,
   * so a node with many channels does not flood a broker that is just coming back.
   */
  catchUpAll(): void {
    const pending = [...this.#channels];
    const worker = async () => {
      for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
        await this.#catchUp(next[0], next[1]);
      }
    };
    for (let i = 0; i < Math.min(CATCH_UP_CONCURRENCY, pending.length); i++) void worker();
  }

  #onMessage(channel: string, msg: Msg): void {
    const entry = this.#channels.get(channel);
    const handler = this.#handler;
    if (entry === undefined || handler === undefined) return;
    const kind = kindOf(msg.headers);
    if (kind === 'join' || kind === 'leave') {
      const client = decodeClient(msg.data);
      if (client === undefined) return;
      if (kind === 'join') handler.onJoin(channel, client);
      else handler.onLeave(channel, client);
      return;
    }
    if (kind !== 'pub') return;
    const decoded = decodePublication(channel, msg.headers, msg.data);
    if (decoded !== undefined) this.#offer(channel, entry, decoded.publication);
  }

  #offer(channel: string, entry: Channel, pub: Publication): void {
    if (entry.queue !== null) {
      // Past the bound the publication is dropped: the fill running now, or the gap it leaves, brings it back.
      if (entry.queue.length < MAX_QUEUED) entry.queue.push(pub);
      return;
    }
    const last = entry.last;
    if (last !== undefined && last.epoch === pub.epoch) {
      if (pub.offset <= last.offset) return;
      if (pub.offset > last.offset + 1) {
        entry.queue = [pub];
        void this.#fill(channel, entry, 1);
        return;
      }
    }
    this.#deliver(entry, pub);
  }

  #deliver(entry: Channel, pub: Publication): void {
    const last = entry.last;
    if (last !== undefined && last.epoch === pub.epoch && pub.offset <= last.offset) return;
    entry.last = { epoch: pub.epoch, offset: pub.offset };
    this.#handler?.onPublication(pub);
  }

  /**
   * Reads history past `entry.last` and delivers it, then what queued meanwhile. Returns false when history could
   * not be read (the queue is still flushed, so the hub sees the gap and tries itself).
   */
  async #fill(channel: string, entry: Channel, attempts: number): Promise<boolean> {
    let ok = false;
    for (let i = 0; i < attempts && this.#channels.get(channel) === entry; i++) {
      const from = entry.last;
      if (from === undefined) break;
      try {
        const result = await this.#history.read(channel, { since: from });
        for (const p of result.publications) this.#deliver(entry, p);
        ok = true;
        break;
      } catch {
        // Unreachable right now (a reconnect is settling): wait and try again, up to `attempts`.
        if (i + 1 < attempts) await new Promise((r) => setTimeout(r, CATCH_UP_RETRY_MS).unref());
      }
    }
    // What queued meanwhile goes through the same checks as live arrivals: one that jumps past the history just
    // read (its predecessor is still on its way, or was lost) starts the next fill instead of hiding the gap.
    // After a failed read it is handed on as it is (the hub sees the gap and fills it), so an unreachable
    // history cannot turn into a loop of fills.
    const queue = entry.queue ?? [];
    entry.queue = null;
    for (const p of queue) {
      if (ok) this.#offer(channel, entry, p);
      else this.#deliver(entry, p);
    }
    if (entry.again) {
      entry.again = false;
      void this.#catchUp(channel, entry);
    }
    return ok;
  }

  async #catchUp(channel: string, entry: Channel): Promise<void> {
    if (this.#channels.get(channel) !== entry) return;
    if (entry.queue !== null) {
      entry.again = true; // a fill is running: it starts another when it ends
      return;
    }
    entry.queue = [];
    await this.#fill(channel, entry, CATCH_UP_ATTEMPTS);
  }
}
