import { randomUUID } from 'node:crypto';
import type { PresenceStore } from '@switchboard/engine-kit';
import type { Logger } from 'pino';

/**
 * Where the nodes of a cluster announce themselves: a presence set in the engine, under a name no client can use
 * (`$` is not a channel character), so no client can subscribe to it or read it.
 */
export const NODES_CHANNEL = '$switchboard:nodes';
/** How often a node announces itself; an announcement lives three times as long. */
export const ANNOUNCE_MS = 10_000;

/** What the roster needs of the engine's presence store. */
export type RosterStore = Pick<PresenceStore, 'add' | 'remove' | 'list'>;

/** What a node says of itself. */
export type NodeDescription = Record<string, unknown>;

/**
 * This node's entry in the cluster's roster, kept in the engine's presence store (every node of a cluster shares
 * one engine), and the roster as the engine has it. A node that stops removes its entry; one that dies drops
 * out after `3 × ANNOUNCE_MS`.
 */
export class NodeRoster {
  readonly id = randomUUID();
  readonly #presence: RosterStore;
  readonly #describe: () => NodeDescription;
  readonly #logger: Logger;
  readonly #everyMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(presence: RosterStore, describe: () => NodeDescription, logger: Logger, everyMs = ANNOUNCE_MS) {
    this.#presence = presence;
    this.#describe = describe;
    this.#logger = logger;
    this.#everyMs = everyMs;
  }

  start(): void {
    this.#announce();
    this.#timer = setInterval(() => this.#announce(), this.#everyMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    // Best effort: the engine may already be gone; the entry then expires.
    await this.#presence.remove(NODES_CHANNEL, this.id).catch(() => undefined);
  }

  /** The cluster's nodes as the engine has them (this one as it is now), this one first. */
  async list(): Promise<NodeDescription[]> {
    const entries = await this.#presence.list(NODES_CHANNEL);
    const others = entries
      .filter((e) => e.client !== this.id)
      .map((e) => ({ ...(e.info as NodeDescription), id: e.client }))
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
    return [{ ...this.#describe(), id: this.id }, ...others];
  }

  #announce(): void {
    const entry = { client: this.id, user: null, info: { ...this.#describe(), announcedAt: Date.now() } };
    this.#presence
      .add(NODES_CHANNEL, entry, 3 * this.#everyMs)
      .catch((err: unknown) =>
        this.#logger.debug({ err: (err as Error).message }, 'node announcement failed'),
      );
  }
}
