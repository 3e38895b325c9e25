import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { EngineError, type Publication, type PublishResult } from '@switchboard/engine-kit';
import { apiErrorCode, WRONG_LAST_SEQUENCE } from './link.ts';

type Stored =
  | { readonly state: 'pending'; readonly expires: number; readonly pendingUntil: number }
  | { readonly state: 'done'; readonly expires: number; readonly publication: Publication };

const POLL_MS = 10;

/**
 * Idempotency keys shared by every node, in a JetStream KV bucket. The first publish with a key claims it with a
 * conditional write (create, or compare-and-set over an expired value), publishes, then stores the result; any
 * other publish with that key (on any node) waits for the result and returns it as a duplicate. The key's time to
 * live is in its value (the supported server has no per-key TTL); the bucket's `max_age` removes old keys.
 * A claim whose owner died before finishing is taken over after the call timeout.
 */
export class KvIdempotency {
  readonly #kv: KV;
  readonly #timeoutMs: number;

  constructor(kv: KV, timeoutMs: number) {
    this.#kv = kv;
    this.#timeoutMs = timeoutMs;
  }

  async run(
    channel: string,
    key: string,
    ttlMs: number,
    publish: () => Promise<Publication>,
  ): Promise<PublishResult> {
    // Keys are scoped per channel, and hashed: any key text becomes a valid, fixed-length KV key.
    const k = createHash('sha256').update(channel).update('\u0000').update(key).digest('base64url');
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      if (Date.now() > deadline)
        throw new EngineError('an earlier publish with this idempotency key is still running');
      const now = Date.now();
      const entry = await this.#kv.get(k);
      let previous = 0;
      if (entry !== null && entry.operation === 'PUT') {
        const stored = JSON.parse(entry.string()) as Stored;
        if (stored.expires > now) {
          if (stored.state === 'done') return { publication: stored.publication, duplicate: true };
          if (stored.pendingUntil > now) {
            await new Promise((r) => setTimeout(r, POLL_MS));
            continue;
          }
        }
        previous = entry.revision;
      } else if (entry !== null) {
        previous = entry.revision;
      }
      const claim: Stored = { state: 'pending', expires: now + ttlMs, pendingUntil: now + this.#timeoutMs };
      let revision: number;
      try {
        revision = await this.#kv.put(k, JSON.stringify(claim), { previousSeq: previous });
      } catch (err) {
        if (apiErrorCode(err) === WRONG_LAST_SEQUENCE) continue; // another publish claimed it first
        throw err;
      }
      let publication: Publication;
      try {
        publication = await publish();
      } catch (err) {
        // Free the claim so a retry can publish; if this fails too, the claim lapses after the timeout.
        this.#kv.delete(k, { previousSeq: revision }).catch(() => {});
        throw err;
      }
      const done: Stored = { state: 'done', expires: now + ttlMs, publication };
      await this.#kv.put(k, JSON.stringify(done), { previousSeq: revision }).catch(() => {
        // The publication is out; a retry after the claim lapses would publish again. Rare: NATS went away
        // between two writes of one call.
      });
      return { publication, duplicate: false };
    }
  }
}
