import type { HistoryQuery, HistoryResult, HistoryStore, Publication } from '@switchboard/engine-kit';
import { EngineError } from '@switchboard/engine-kit';
import { newEpoch, type Position } from '@switchboard/protocol';
import type { Commands } from './commands.ts';
import { channelKeys } from './keys.ts';
import { READ } from './scripts.ts';

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));

/** Channel streams in Redis: the meta hash and the stream of publications, read by one script (scripts.ts). */
export class RedisHistory implements HistoryStore {
  readonly #redis: Commands;
  readonly #prefix: string;
  readonly #guard: () => void;

  constructor(redis: Commands, prefix: string, guard: () => void) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#guard = guard;
  }

  async top(channel: string): Promise<Position> {
    this.#guard();
    const k = channelKeys(this.#prefix, channel);
    const reply = await this.#redis.run(READ, [k.meta, k.stream], [newEpoch(), 'top', '0', '', '0', '-1']);
    const [epoch, offset] = reply as [unknown, unknown];
    return { epoch: str(epoch), offset: Number(offset) };
  }

  async read(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    this.#guard();
    const k = channelKeys(this.#prefix, channel);
    const since = query.since;
    const reply = (await this.#redis.run(
      READ,
      [k.meta, k.stream],
      [
        newEpoch(),
        'read',
        since === undefined ? '0' : '1',
        since?.epoch ?? '',
        String(since?.offset ?? 0),
        String(query.limit ?? -1),
      ],
    )) as unknown[];
    if (!Array.isArray(reply) || reply.length < 3) throw new EngineError('unexpected reply from Redis');
    const epoch = str(reply[0]);
    const top = { epoch, offset: Number(reply[1]) };
    const publications: Publication[] = [];
    for (let i = 3; i + 3 < reply.length; i += 4) {
      const offset = Number(reply[i]);
      const time = Number(reply[i + 1]);
      const info = str(reply[i + 2]);
      const data = str(reply[i + 3]);
      publications.push(
        info === ''
          ? { channel, epoch, offset, data, time }
          : { channel, epoch, offset, data, info: JSON.parse(info) as Publication['info'] & object, time },
      );
    }
    return { top, publications, recovered: Number(reply[2]) === 1 };
  }

  async remove(channel: string): Promise<void> {
    this.#guard();
    const k = channelKeys(this.#prefix, channel);
    await this.#redis.command(['DEL', k.meta, k.stream, k.pending], k.meta);
  }
}
