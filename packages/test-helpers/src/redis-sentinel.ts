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
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 4000`,
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

  private constructor(
    name: string,
    master: RedisServer,
    replica: RedisServer,
    sentinels: SentinelProcess[],
    dir: string,
  ) {
    this.name = name;
    this.master = master;
    this.replica = replica;
    this.sentinels = sentinels;
    this.#dir = dir;
  }

  static async start(count = 1, name = 'sbmaster'): Promise<RedisSentinelSet> {
    // Replication without files, both ways (and without the 5 s diskless delay); the directory is the set's own
    // anyway: a `dump.rdb` left in a shared one would be loaded by the next server started there.
    const dir = await mkdtemp(join(tmpdir(), 'sb-sentinel-data-'));
    const sync = ['--dir', dir, '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'];
    const load = ['--repl-diskless-load', 'swapdb'];
    const master = await RedisServer.start([...sync, ...load]);
    const replica = await RedisServer.start([
      ...sync,
      ...load,
      '--replicaof',
      '127.0.0.1',
      String(master.port),
    ]);
    const sentinels: SentinelProcess[] = [];
    const set = new RedisSentinelSet(name, master, replica, sentinels, dir);
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
    await untilAsync(
      async () => (await cli(replica.port, 'INFO', 'replication')).includes('master_link_status:up'),
      () => 'the replica to sync with the master',
      10_000,
    );
    for (const s of sentinels)
      await untilAsync(
        async () =>
          (await cli(s.port, 'SENTINEL', 'REPLICAS', name)).includes(String(replica.port)) &&
          (await cli(s.port, 'SENTINEL', 'SENTINELS', name)).filter((l) => l === 'name').length === count - 1,
        () => `sentinel ${s.port} to know the replica and the other sentinels`,
        20_000,
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
    await untilAsync(
      async () => field(await cli(other.port, 'INFO', 'replication'), 'slave_repl_offset') >= target,
      () => `the replica on port ${other.port} to reach offset ${target}`,
      10_000,
    );
  }

  /** Asks the sentinels for a failover and waits until the replica is the master they name. */
  async failover(): Promise<RedisServer> {
    const before = await this.masterPort();
    const next = before === this.master.port ? this.replica : this.master;
    const first = this.sentinels[0];
    if (first === undefined) throw new Error('no sentinel');
    const reply = await cli(first.port, 'SENTINEL', 'FAILOVER', this.name);
    if (reply[0] !== 'OK') throw new Error(`SENTINEL FAILOVER answered ${reply.join(' ')}`);
    await this.#promoted(next);
    // The old master is turned into a replica of the new one: wait for that, so the set can fail over again.
    const old = next === this.master ? this.replica : this.master;
    await untilAsync(
      async () => {
        const info = await cli(old.port, 'INFO', 'replication');
        return info.includes(`master_port:${next.port}`) && info.includes('master_link_status:up');
      },
      () => `the old master on port ${old.port} to replicate the new one`,
      20_000,
    );
    return next;
  }

  /** Kills the master (SIGKILL) and waits until the sentinels have promoted the replica (none is left after). */
  async killMaster(): Promise<RedisServer> {
    const before = await this.masterPort();
    const [dead, next] =
      before === this.master.port ? [this.master, this.replica] : [this.replica, this.master];
    await dead.stop();
    await this.#promoted(next);
    return next;
  }

  async #promoted(next: RedisServer): Promise<void> {
    await untilAsync(
      async () => (await this.masterPort()) === next.port && (await cli(next.port, 'ROLE'))[0] === 'master',
      () => `the sentinels to promote port ${next.port}`,
      20_000,
    );
  }

  async stop(): Promise<void> {
    for (const s of this.sentinels) await s.stop();
    await this.master.stop();
    await this.replica.stop();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
