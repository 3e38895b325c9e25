import type { Msg, Subscription } from '@nats-io/nats-core';
import {
  type Broker,
  type BrokerHandler,
  type Publication,
  type PublishOptions,
  type PublishResult,
  Sequencer,
} from '@switchboard/engine-kit';
import type { ClientInfo } from '@switchboard/protocol';
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

/**
 * Publications between nodes on core NATS, one subject per channel. The publishing node appends to JetStream
 * first (which assigns the position) and then publishes the same message on the channel's live subject, so
 * nothing is delivered that is not in history. Core NATS is at most once and, with several publishers, not
 * ordered between them: everything that arrives goes through a `Sequencer`, which drops a duplicate or late
 * one and fills a jump from history before anything after it. After a reconnect every subscribed channel is
 * read from history past its last position, so what was published while this node was away arrives even if
 * nothing else is ever published.
 */
export class NatsBroker implements Broker {
  readonly #link: NatsLink;
  readonly #history: JetStreamHistory;
  readonly #idempotency: KvIdempotency;
  readonly #names: Names;
  /** The live subscription of each channel with local subscribers. */
  readonly #subs = new Map<string, Subscription>();
  readonly #sequencer: Sequencer;
  #handler: BrokerHandler | undefined;

  constructor(link: NatsLink, history: JetStreamHistory, idempotency: KvIdempotency, names: Names) {
    this.#link = link;
    this.#history = history;
    this.#idempotency = idempotency;
    this.#names = names;
    this.#sequencer = new Sequencer(history);
  }

  async start(handler: BrokerHandler): Promise<void> {
    this.#link.guard();
    this.#handler = handler;
    this.#sequencer.output = handler;
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
    if (this.#subs.has(channel)) return;
    this.#link.guard();
    const sub = this.#link.nc.subscribe(this.#names.live(channel), {
      callback: (err, msg) => {
        if (err === null) this.#onMessage(channel, msg);
      },
    });
    this.#subs.set(channel, sub);
    this.#sequencer.watch(channel);
    try {
      // Once the server has the subscription, the stream's top is where this node starts: anything after it
      // arrives live, and a catch-up after a reconnect knows where to read from.
      await this.#link.call('subscribe', () => this.#link.nc.flush());
      this.#sequencer.notePosition(channel, await this.#history.top(channel));
    } catch (err) {
      if (this.#subs.get(channel) === sub) {
        this.#subs.delete(channel);
        this.#sequencer.unwatch(channel);
      }
      sub.unsubscribe();
      throw err;
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    const sub = this.#subs.get(channel);
    if (sub === undefined) return;
    this.#subs.delete(channel);
    this.#sequencer.unwatch(channel);
    if (!sub.isClosed()) sub.unsubscribe();
  }

  async close(): Promise<void> {
    for (const channel of [...this.#subs.keys()]) await this.unsubscribe(channel);
    this.#sequencer.clear();
    this.#handler = undefined;
  }

  /**
   * After a reconnect: every subscribed channel reads what it missed (the sequencer reads a bounded number of
   * channels at a time, so a node with many channels does not flood a broker that is just coming back).
   */
  catchUpAll(): void {
    this.#sequencer.resync();
  }

  #onMessage(channel: string, msg: Msg): void {
    const handler = this.#handler;
    if (handler === undefined || !this.#subs.has(channel)) return;
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
    if (decoded !== undefined) this.#sequencer.offer(decoded.publication);
  }
}
