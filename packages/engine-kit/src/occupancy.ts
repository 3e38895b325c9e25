import type { OccupancyStore } from './types.ts';

/**
 * Occupancy in one process: for one node, or for several nodes of one process sharing it (the memory engine's
 * cluster). Each call is one synchronous step, so it is atomic.
 */
export class MemoryOccupancy implements OccupancyStore {
  readonly #channels = new Map<string, Map<string, number>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async occupy(channel: string, node: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    let nodes = this.#channels.get(channel);
    if (nodes === undefined) {
      nodes = new Map();
      this.#channels.set(channel, nodes);
    }
    dropExpired(nodes, now);
    const wasEmpty = nodes.size === 0;
    nodes.set(node, now + ttlMs);
    return wasEmpty;
  }

  async vacate(channel: string, node: string): Promise<boolean> {
    const nodes = this.#channels.get(channel);
    if (nodes === undefined) return false;
    dropExpired(nodes, this.#now());
    const removed = nodes.delete(node);
    if (nodes.size === 0) this.#channels.delete(channel);
    return removed && nodes.size === 0;
  }
}

function dropExpired(nodes: Map<string, number>, now: number): void {
  for (const [node, until] of nodes) if (until <= now) nodes.delete(node);
}
