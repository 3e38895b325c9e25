import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { type Engine, EngineError, SwitchboardError } from '@switchboard/engine-kit';
import { NatsBroker } from './broker.ts';
import { JetStreamHistory } from './history.ts';
import { KvIdempotency } from './idempotency.ts';
import { NatsLink } from './link.ts';
import { KvOccupancy } from './occupancy.ts';
import { KvPresence } from './presence.ts';
import { Names } from './subjects.ts';
import { type NatsEngineConfig, parseNatsUrl } from './url.ts';

export { decodeToken, encodeToken, Names } from './subjects.ts';
export { NATS_DEFAULTS, type NatsEngineConfig, parseNatsUrl } from './url.ts';

/** Options set in code rather than in the URL (embedding, tests); each overrides the URL's. */
export type NatsEngineOptions = Partial<Omit<NatsEngineConfig, 'servers' | 'user' | 'pass' | 'token'>>;

export interface NatsEngine extends Engine {
  /** The configuration in force, URL and options merged. */
  readonly config: NatsEngineConfig;
}

const RECOVER_RETRY_MS = 250;

/**
 * The NATS engine (see packages/engine-nats/README.md for its guarantees): connects, makes sure the history
 * stream and the presence and idempotency buckets exist, and returns the engine. Fails with `unavailable` when
 * NATS cannot be reached within `connectTimeout`, or has no JetStream.
 */
export async function createNatsEngine(url: string, options: NatsEngineOptions = {}): Promise<NatsEngine> {
  const config: NatsEngineConfig = { ...parseNatsUrl(url), ...options };
  const names = new Names(config.prefix);
  const link = await NatsLink.open(config);
  try {
    const jsOptions = { timeout: config.timeoutMs };
    const js = jetstream(link.nc, jsOptions);
    const jsm = await jetstreamManager(link.nc, jsOptions);
    const history = new JetStreamHistory(link, js, jsm, names, config);
    const kvm = new Kvm(js);
    const storage = config.storage === 'file' ? StorageType.File : StorageType.Memory;
    const bucket = (name: string, ttl: number) =>
      kvm.create(name, { history: 1, ttl, storage, replicas: config.replicas });
    // Everything the engine keeps on NATS, made if missing: at start, and again after a reconnect (a broker that
    // restarted without its store has none of it). What exists keeps its data.
    const setup = async () => {
      await history.ensureStream();
      return {
        presence: await bucket(names.presenceBucket, config.presenceMaxAgeMs),
        idempotency: await bucket(names.idempotencyBucket, config.idempotencyMaxAgeMs),
        // A channel's value is rewritten at least every 20 s while a node has subscribers: presence's age fits.
        occupancy: await bucket(names.occupancyBucket, config.presenceMaxAgeMs),
      };
    };
    const buckets = await setup();
    const broker = new NatsBroker(
      link,
      history,
      new KvIdempotency(buckets.idempotency, config.timeoutMs),
      names,
    );
    const presence = new KvPresence(link, buckets.presence, js, jsm, names);
    const occupancy = new KvOccupancy(link, buckets.occupancy, names);

    let recovering = false;
    link.onReconnect(() => {
      if (recovering) return;
      recovering = true;
      // The broker may have come back without its store: make what is missing (JetStream can need a moment
      // after a restart), then let every subscribed channel read what it missed.
      void (async () => {
        for (let i = 0; link.connected && i < 80; i++) {
          try {
            await link.call('setup', setup);
            break;
          } catch {
            await new Promise((r) => setTimeout(r, RECOVER_RETRY_MS).unref());
          }
        }
        recovering = false;
        broker.catchUpAll();
      })();
    });

    return {
      name: 'nats',
      config,
      broker,
      history,
      presence,
      occupancy,
      ready: () => link.connected,
      async close() {
        await broker.close();
        await link.close();
      },
    };
  } catch (err) {
    await link.close();
    if (err instanceof SwitchboardError) throw err;
    const where = config.servers.join(', ');
    if (
      err instanceof Error &&
      /jetstream (is )?not enabled|no responders|503/i.test(`${err.name} ${err.message}`)
    )
      throw new EngineError(`NATS at ${where} has no JetStream: start nats-server with -js`, { cause: err });
    throw new EngineError(`could not set up the NATS engine at ${where}`, { cause: err });
  }
}
