import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, RedisServer } from './redis-server.ts';
import { untilAsync } from './wait.ts';

const run = promisify(execFile);

/** Runs one command with `redis-cli` against a local port; resolves with its output lines (raw replies). */
export async function cli(port: number, ...args: string[]): Promise<string[]> {
  return cliWithin(5_000, port, ...args);
}

/** `cli` with its own time limit, for commands that wait on the servers (`--cluster create`). */
export async function cliWithin(timeoutMs: number, port: number, ...args: string[]): Promise<string[]> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: timeoutMs,
  });
  return stdout.split(/\r?\n/).filter((line) => line !== '');
}

/**
 * The sentinels' timing (written into their config below), and what follows from it; waits on a failover derive
 * their limits from these. A crashed master is marked down after `DOWN_AFTER_MS`; a failover attempt that does
 * not complete is abandoned after `FAILOVER_TIMEOUT_MS`, and the next one starts twice that later.
 */
export const DOWN_AFTER_MS = 1_000;
export const FAILOVER_TIMEOUT_MS = 4_000;
/** Sentinels act on a once-a-second timer, and learn replicas and each other from INFO every 10 s. */
const SENTINEL_TICK_MS = 1_000;
const SENTINEL_INFO_MS = 10_000;
/** Longest a failover takes, from the master's crash (or a `SENTINEL FAILOVER`) to a replica promoted: one attempt that times out, the pause, and one that completes. */
export const PROMOTION_MS = DOWN_AFTER_MS + SENTINEL_TICK_MS + 4 * FAILOVER_TIMEOUT_MS;
/** `repl-timeout` of the servers: a replica that has not caught up within it has lost its link anyway. */
const REPL_TIMEOUT_S = 5;

/**
 * `cli` for a poll: a failed call (a master being demoted drops its clients, a server starting refuses them) is
 * "not yet", and the last failure is kept for the poll's message.
 */
class Probe {
  last = '';
  async cli(port: number, ...args: string[]): Promise<string[]> {
    try {
      return await cli(port, ...args);
    } catch (err) {
      this.last = `; last failure: ${(err as Error).message.split('\n').at(-1) ?? ''}`.trim();
      return [];
    }
  }
}

/** One `redis-server --sentinel` process on a free port, with its config file in a temporary directory. */
class SentinelProcess {
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #dir: string;

  private constructor(port: number, child: ChildProcess, dir: string) {
    this.port = port;
    this.#child = child;
    this.#dir = dir;
  }

  static async start(name: string, masterPort: number, quorum: number): Promise<SentinelProcess> {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'sb-sentinel-'));
    const conf = join(dir, 'sentinel.conf');
    // Short failure detection and failover timeouts keep a failover test within seconds.
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} ${quorum}`,
        `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${name} ${FAILOVER_TIMEOUT_MS}`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    const sentinel = new SentinelProcess(port, child, dir);
    await untilAsync(
      async () => child.exitCode === null && (await cli(port, 'PING').catch(() => []))[0] === 'PONG',
      () => `sentinel on port ${port} to answer PING (exit code ${child.exitCode})`,
      10_000,
    );
    return sentinel;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const gone = new Promise((r) => this.#child.once('exit', r));
      this.#child.kill('SIGKILL');
      await gone;
    }
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/**
 * A Sentinel deployment of real processes on free ports: one master, one replica (`--replicaof`) and `count`
 * sentinels monitoring the master as `name` (quorum: a majority of the sentinels). `start` returns once the
 * replica is in sync and every sentinel knows it, so a failover can happen at once.
 */
export class RedisSentinelSet {
  readonly name: string;
  readonly master: RedisServer;
  readonly replica: RedisServer;
  readonly sentinels: readonly SentinelProcess[];

  readonly #dir: string;
  /** The data servers' arguments, without `--replicaof`. */
  readonly #args: readonly string[];

  private constructor(
    name: string,
    master: RedisServer,
    replica: RedisServer,
    sentinels: SentinelProcess[],
    dir: string,
    args: readonly string[],
  ) {
    this.name = name;
    this.master = master;
    this.replica = replica;
    this.sentinels = sentinels;
    this.#dir = dir;
    this.#args = args;
  }

  static async start(count = 1, name = 'sbmaster'): Promise<RedisSentinelSet> {
    // Replication without files, both ways (and without the 5 s diskless delay); the directory is the set's own
    // anyway: a `dump.rdb` left in a shared one would be loaded by the next server started there.
    const dir = await mkdtemp(join(tmpdir(), 'sb-sentinel-data-'));
    const sync = [
      ...['--dir', dir, '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'],
      ...['--repl-timeout', String(REPL_TIMEOUT_S)],
    ];
    const args = [...sync, '--repl-diskless-load', 'swapdb'];
    const master = await RedisServer.start(args);
    const replica = await RedisServer.start([...args, '--replicaof', '127.0.0.1', String(master.port)]);
    const sentinels: SentinelProcess[] = [];
    const set = new RedisSentinelSet(name, master, replica, sentinels, dir, args);
    try {
      for (let i = 0; i < count; i++)
        sentinels.push(await SentinelProcess.start(name, master.port, Math.floor(count / 2) + 1));
      await set.#settled(count);
    } catch (err) {
      await set.stop();
      throw err;
    }
    return set;
  }

  async #settled(count: number): Promise<void> {
    const { name, replica, sentinels } = this;
    const probe = new Probe();
    await untilAsync(
      async () => (await probe.cli(replica.port, 'INFO', 'replication')).includes('master_link_status:up'),
      () => `the replica to sync with the master${probe.last}`,
      REPL_TIMEOUT_S * 1_000,
    );
    // Sentinels learn replicas from the master's INFO and each other from hello messages: two INFO periods.
    for (const s of sentinels)
      await untilAsync(
        async () =>
          (await probe.cli(s.port, 'SENTINEL', 'REPLICAS', name)).includes(String(replica.port)) &&
          (await probe.cli(s.port, 'SENTINEL', 'SENTINELS', name)).filter((l) => l === 'name').length ===
            count - 1,
        () => `sentinel ${s.port} to know the replica and the other sentinels${probe.last}`,
        2 * SENTINEL_INFO_MS,
      );
  }

  /** `redis+sentinel://` URL listing every sentinel (and `extra` addresses first, e.g. a dead one). */
  url(query = '', extra: readonly string[] = []): string {
    const hosts = [...extra, ...this.sentinels.map((s) => `127.0.0.1:${s.port}`)];
    return `redis+sentinel://${hosts.join(',')}/${this.name}${query}`;
  }

  /** The master's port as the first sentinel names it now. */
  async masterPort(): Promise<number> {
    const first = this.sentinels[0];
    if (first === undefined) throw new Error('no sentinel');
    const reply = await cli(first.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name);
    return Number(reply[1]);
  }

  /**
   * Waits until the replica has processed every write the master has taken (its replication offset caught up):
   * replication is asynchronous, and what the old master has not passed on is lost in a failover.
   */
  async replicated(): Promise<void> {
    const port = await this.masterPort();
    const other = port === this.master.port ? this.replica : this.master;
    const field = (lines: string[], name: string) =>
      Number(lines.find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1) ?? Number.NaN);
    const target = field(await cli(port, 'INFO', 'replication'), 'master_repl_offset');
    const probe = new Probe();
    let reached = Number.NaN;
    await untilAsync(
      async () => {
        reached = field(await probe.cli(other.port, 'INFO', 'replication'), 'slave_repl_offset');
        return reached >= target;
      },
      () => `the replica on port ${other.port} to reach offset ${target}, at ${reached}${probe.last}`,
      REPL_TIMEOUT_S * 1_000,
    );
  }

  /**
   * Cuts the replica off and freezes it (SIGSTOP, and its link dropped on the master), so what the master takes
   * from now on reaches no replica. Returns a function that thaws it: it then reconnects, to the master if that
   * is still alive, and catches up.
   */
  async isolateReplica(): Promise<() => void> {
    const port = await this.masterPort();
    const other = port === this.master.port ? this.replica : this.master;
    other.pause();
    await cli(port, 'CLIENT', 'KILL', 'TYPE', 'replica');
    return () => other.resume();
  }

  /** Asks the sentinels for a failover and waits until the replica is the master they name. */
  async failover(): Promise<RedisServer> {
    const before = await this.masterPort();
    const next = before === this.master.port ? this.replica : this.master;
    const first = this.sentinels[0];
    if (first === undefined) throw new Error('no sentinel');
    const reply = await cli(first.port, 'SENTINEL', 'FAILOVER', this.name);
    if (reply[0] !== 'OK') throw new Error(`SENTINEL FAILOVER answered ${reply.join(' ')}`);
    await this.promoted(next);
    // The old master is turned into a replica of the new one once a sentinel's INFO finds it still claiming to be
    // master (INFO every 10 s, acted on at the next tick), then syncs with it: wait for that, so the set can fail
    // over again. It drops its clients when demoted: the probe rides that out.
    const old = next === this.master ? this.replica : this.master;
    const probe = new Probe();
    let seen: string[] = [];
    await untilAsync(
      async () => {
        seen = await probe.cli(old.port, 'INFO', 'replication');
        return seen.includes(`master_port:${next.port}`) && seen.includes('master_link_status:up');
      },
      () =>
        `the old master on port ${old.port} to replicate the new one, saw ${seen.filter((l) => /^(role|master_port|master_link_status):/.test(l)).join(' ')}${probe.last}`,
      SENTINEL_INFO_MS + SENTINEL_TICK_MS + REPL_TIMEOUT_S * 1_000,
    );
    return next;
  }

  /**
   * Kills the master (SIGKILL) and resolves once it is dead, with the replica the sentinels will promote (see
   * `promoted`); no replica is left after.
   */
  async killMaster(): Promise<RedisServer> {
    const before = await this.masterPort();
    const [dead, next] =
      before === this.master.port ? [this.master, this.replica] : [this.replica, this.master];
    await dead.stop();
    return next;
  }

  /**
   * Starts the server `killMaster` killed again, empty, as a replica of the current master (what an operator
   * does after a crash), and waits until it is in sync: the set has a replica again.
   */
  async rejoin(): Promise<void> {
    const port = await this.masterPort();
    const dead = port === this.master.port ? this.replica : this.master;
    await dead.restart([...this.#args, '--replicaof', '127.0.0.1', String(port)]);
    const probe = new Probe();
    await untilAsync(
      async () => (await probe.cli(dead.port, 'INFO', 'replication')).includes('master_link_status:up'),
      () => `port ${dead.port} to sync with the master on port ${port}${probe.last}`,
      REPL_TIMEOUT_S * 1_000,
    );
  }

  /** Waits until the sentinels name `next` as master and it says so itself (`ROLE`), within `PROMOTION_MS`. */
  async promoted(next: RedisServer): Promise<void> {
    const probe = new Probe();
    let named = 0;
    let role = '';
    await untilAsync(
      async () => {
        named = Number(
          (await probe.cli(this.#firstSentinel().port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name))[1],
        );
        role = (await probe.cli(next.port, 'ROLE'))[0] ?? '';
        return named === next.port && role === 'master';
      },
      () =>
        `the sentinels to promote port ${next.port}: they name port ${named}, and it says it is "${role}"${probe.last}`,
      PROMOTION_MS,
    );
  }

  #firstSentinel(): SentinelProcess {
    const first = this.sentinels[0];
    if (first === undefined) throw new Error('no sentinel');
    return first;
  }

  async stop(): Promise<void> {
    for (const s of this.sentinels) await s.stop();
    await this.master.stop();
    await this.replica.stop();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
