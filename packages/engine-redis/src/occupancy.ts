import type { OccupancyStore } from '@switchboard/engine-kit';
import type { Commands } from './commands.ts';
import { OCCUPY, VACATE } from './scripts.ts';

/**
 * Occupancy in Redis: one sorted set per channel (in the channel's hash slot) of the nodes with subscribers,
 * scored by expiry; each change is one Lua script, so of several nodes occupying a channel at once exactly one
 * sees it become occupied, and of several leaving exactly one sees it vacated.
 */
export class RedisOccupancy implements OccupancyStore {
  readonly #redis: Commands;
  readonly #prefix: string;
  readonly #guard: () => void;

  constructor(redis: Commands, prefix: string, guard: () => void) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#guard = guard;
  }

  async occupy(channel: string, node: string, ttlMs: number): Promise<boolean> {
    this.#guard();
    const reply = await this.#redis.run(OCCUPY, [this.#key(channel)], [node, String(Math.max(1, ttlMs))]);
    return Number(reply) === 1;
  }

  async vacate(channel: string, node: string): Promise<boolean> {
    this.#guard();
    return Number(await this.#redis.run(VACATE, [this.#key(channel)], [node])) === 1;
  }

  #key(channel: string): string {
    return `${this.#prefix}:{${channel}}:occupancy`;
  }
}
