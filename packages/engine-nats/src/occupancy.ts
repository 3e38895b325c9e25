import type { KV } from '@nats-io/kv';
import { EngineError, type OccupancyStore } from '@switchboard/engine-kit';
import type { NatsLink } from './link.ts';
import type { Names } from './subjects.ts';

/** Node name to the time its entry expires (ms since the Unix epoch). */
type Nodes = Record<string, number>;

/** Attempts of one change before it gives up (each lost only to another node's change of the same channel). */
const MAX_ATTEMPTS = 32;

/**
 * Occupancy in a JetStream KV bucket: one key per channel holding its nodes and their expiries, changed by
 * compare-and-set (`update` at the revision read, `create` when there is none), so of several nodes changing a
 * channel at once each change applies to what the previous one left and exactly one sees the channel become
 * occupied or vacated. A lost race reads again and retries.
 */
export class KvOccupancy implements OccupancyStore {
  readonly #link: NatsLink;
  readonly #kv: KV;
  readonly #names: Names;

  constructor(link: NatsLink, kv: KV, names: Names) {
    this.#link = link;
    this.#kv = kv;
    this.#names = names;
  }

  occupy(channel: string, node: string, ttlMs: number): Promise<boolean> {
    return this.#change(channel, (nodes, now) => {
      const wasEmpty = Object.keys(nodes).length === 0;
      nodes[node] = now + ttlMs;
      return wasEmpty;
    });
  }

  vacate(channel: string, node: string): Promise<boolean> {
    return this.#change(channel, (nodes) => {
      if (!Object.hasOwn(nodes, node)) return false;
      delete nodes[node];
      return Object.keys(nodes).length === 0;
    });
  }

  async #change(channel: string, apply: (nodes: Nodes, now: number) => boolean): Promise<boolean> {
    const key = this.#names.occupancyKey(channel);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = await this.#link.call('occupancy read', () => this.#kv.get(key));
      const now = Date.now();
      const nodes: Nodes = {};
      if (entry !== null && entry.operation === 'PUT') {
        try {
          for (const [n, until] of Object.entries(JSON.parse(entry.string()) as Nodes))
            if (typeof until === 'number' && until > now) nodes[n] = until;
        } catch {
          // Not a value this engine wrote: start over.
        }
      }
      const changed = apply(nodes, now);
      const value = JSON.stringify(nodes);
      try {
        await this.#link.call('occupancy write', () =>
          entry === null ? this.#kv.create(key, value) : this.#kv.update(key, value, entry.revision),
        );
        return changed;
      } catch (err) {
        // Another node changed the channel since the read: read again. (The link wraps NATS's error as the cause.)
        const e = err as Error & { cause?: unknown };
        const text = `${e.message} ${e.cause instanceof Error ? e.cause.message : ''}`;
        if (!/wrong last sequence|key exists/i.test(text)) throw err;
      }
    }
    throw new EngineError('occupancy: too many concurrent changes of one channel');
  }
}
