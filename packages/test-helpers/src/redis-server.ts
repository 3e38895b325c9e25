import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, Socket } from 'node:net';

/** A free TCP port on 127.0.0.1, learned by binding port 0 (never a standard port: those belong to the machine). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Sends one inline command to the server and returns its first reply line (RESP), or throws. */
async function inline(port: number, command: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis ${command}: no reply`));
    }, timeoutMs);
    let text = '';
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(text.slice(0, end));
    });
    socket.connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`));
  });
}

/**
 * A real `redis-server` on a free port, without persistence (a restart loses every key, as a crashed Redis
 * without AOF would). `restart()` keeps the port, so clients reconnect to the same address.
 */
export class RedisServer {
  readonly port: number;
  #extra: readonly string[];
  #child: ChildProcess | undefined;

  private constructor(port: number, extra: readonly string[]) {
    this.port = port;
    this.#extra = extra;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** @param extra more `redis-server` arguments (e.g. `--replicaof 127.0.0.1 <port>`). */
  static async start(extra: readonly string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), extra);
    await server.#spawn();
    return server;
  }

  /** Runs one command (inline syntax) on a connection of its own; resolves with the first reply line. */
  command(command: string): Promise<string> {
    return inline(this.port, command);
  }

  async #spawn(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        ...this.#extra,
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`))),
    );
    exited.catch(() => {}); // observed only while waiting below
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        if ((await Promise.race([inline(this.port, 'PING', 500), exited])) === '+PONG') return;
      } catch (err) {
        if (child.exitCode !== null || Date.now() > deadline) throw err;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops the server (SIGKILL: a crash, nothing flushed) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGCONT'); // a paused server would not die until continued on some systems
    child.kill('SIGKILL');
    await gone;
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. `resume()` thaws it. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Stops and starts again on the same port: every key is lost. `extra` replaces the arguments it started with. */
  async restart(extra: readonly string[] = this.#extra): Promise<void> {
    await this.stop();
    this.#extra = extra;
    await this.#spawn();
  }
}
