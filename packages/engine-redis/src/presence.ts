import type { PresenceEntry, PresenceStore } from '@switchboard/engine-kit';
import type { Commands } from './commands.ts';
import { channelKeys } from './keys.ts';
import { PRESENCE_ADD, PRESENCE_LIST, PRESENCE_REMOVE } from './scripts.ts';

/**
 * Presence in Redis: a hash of entries and a sorted set of their expiry times, per channel. Entries that a
 * crashed node stops refreshing drop out of `list` the moment they expire and are deleted on the next write;
 * both keys carry a Redis expiry too, so an abandoned channel leaves nothing behind.
 */
export class RedisPresence implements PresenceStore {
  readonly #redis: Commands;
  readonly #prefix: string;
  readonly #guard: () => void;

  constructor(redis: Commands, prefix: string, guard: () => void) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#guard = guard;
  }

  async add(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void> {
    this.#guard();
    const k = channelKeys(this.#prefix, channel);
    await this.#redis.run(
      PRESENCE_ADD,
      [k.presence, k.presenceExpiry],
      [entry.client, JSON.stringify(entry), String(Math.max(1, Math.ceil(ttlMs)))],
    );
  }

  async remove(channel: string, client: string): Promise<void> {
    this.#guard();
    const k = channelKeys(this.#prefix, channel);
    await this.#redis.run(PRESENCE_REMOVE, [k.presence, k.presenceExpiry], [client]);
  }

  async list(channel: string): Promise<PresenceEntry[]> {
    this.#guard();
    const k = channelKeys(this.#prefix, channel);
    const reply = await this.#redis.run(PRESENCE_LIST, [k.presence, k.presenceExpiry], []);
    if (!Array.isArray(reply)) return [];
    return reply.map((v) => JSON.parse(String(v)) as PresenceEntry);
  }
}
