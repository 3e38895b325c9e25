import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { PresenceEntry, PresenceStore } from '@switchboard/engine-kit';
import type { NatsLink } from './link.ts';
import { scan } from './scan.ts';
import type { Names } from './subjects.ts';

interface Stored {
  readonly entry: PresenceEntry;
  /** When the entry stops counting, in ms since the Unix epoch. */
  readonly expires: number;
}

/**
 * Presence in a JetStream KV bucket, one key per channel and client (`<channel token>.<client token>`). The
 * server this engine supports (2.9) has no per-key TTL, so each value carries its own expiry: `list` leaves out
 * what has expired, and the bucket's `max_age` removes the keys physically (the hub refreshes live entries every
 * third of their TTL, well inside it). A node that crashed stops refreshing, so its entries leave `list` within
 * their TTL and the bucket within its `max_age`.
 */
export class KvPresence implements PresenceStore {
  readonly #link: NatsLink;
  readonly #kv: KV;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #names: Names;

  constructor(link: NatsLink, kv: KV, js: JetStreamClient, jsm: JetStreamManager, names: Names) {
    this.#link = link;
    this.#kv = kv;
    this.#js = js;
    this.#jsm = jsm;
    this.#names = names;
  }

  async add(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void> {
    const value: Stored = { entry, expires: Date.now() + ttlMs };
    await this.#link.call('presence add', () =>
      this.#kv.put(this.#names.presenceKey(channel, entry.client), JSON.stringify(value)),
    );
  }

  async remove(channel: string, client: string): Promise<void> {
    await this.#link.call('presence remove', () => this.#kv.delete(this.#names.presenceKey(channel, client)));
  }

  async list(channel: string): Promise<PresenceEntry[]> {
    const bucket = this.#names.presenceBucket;
    const out: PresenceEntry[] = [];
    await this.#link.call('presence list', () =>
      scan(
        this.#jsm,
        this.#js,
        `KV_${bucket}`,
        `$KV.${bucket}.${this.#names.presenceFilter(channel)}`,
        'last_per_subject',
        this.#link.timeoutMs,
        (m) => {
          const op = m.headers?.get('KV-Operation');
          if (op === 'DEL' || op === 'PURGE') return false;
          try {
            const stored = JSON.parse(m.string()) as Stored;
            if (stored.expires > Date.now()) out.push(stored.entry);
          } catch {
            // Not a value this engine wrote: skip it.
          }
          return false;
        },
      ),
    );
    return out;
  }
}
