import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's nats-server by default; `NATS_SERVER_PATH` points elsewhere. */
export const NATS_SERVER_PATH = process.env.NATS_SERVER_PATH ?? '/usr/sbin/nats-server';

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

/** A port that was free a moment ago (the OS picks it; nats-server then binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A real `nats-server -js` of the test's own: 127.0.0.1, a free port, a temporary store directory. It can be
 * stopped and started again on the same port and store (JetStream keeps its streams across the restart), so
 * tests can take the broker away mid-stream. The machine's server on 4222 is never used.
 */
export class NatsServer {
  readonly port: number;
  readonly storeDir: string;
  readonly #jetstream: boolean;
  #child: ChildProcess | undefined;
  #log: string[] = [];

  private constructor(port: number, storeDir: string, jetstream: boolean) {
    this.port = port;
    this.storeDir = storeDir;
    this.#jetstream = jetstream;
  }

  /** `jetstream: false` starts a core-only server (no `-js`), to test what needs JetStream. */
  static async start(options: { jetstream?: boolean } = {}): Promise<NatsServer> {
    if (!existsSync(NATS_SERVER_PATH)) {
      throw new Error(
        `nats-server is not installed at ${NATS_SERVER_PATH}: the NATS tests need it. ` +
          'Install it (apt-get install -y nats-server; .ci/run does) or set NATS_SERVER_PATH.',
      );
    }
    const server = new NatsServer(
      await freePort(),
      mkdtempSync(join(tmpdir(), 'switchboard-nats-')),
      options.jetstream ?? true,
    );
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** The server's log lines so far, for a failing test's message. */
  get log(): string {
    return this.#log.join('');
  }

  /** Starts the server (again), on the same port and store; resolves once it accepts clients. */
  async restart(): Promise<void> {
    if (this.#child !== undefined) throw new Error('nats-server is already running');
    const args = ['-a', '127.0.0.1', '-p', String(this.port)];
    if (this.#jetstream) args.push('-js', '-sd', this.storeDir);
    const child = spawn(NATS_SERVER_PATH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`nats-server did not become ready on port ${this.port}:\n${this.log}`));
      }, READY_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        const text = String(chunk);
        // Bounded: a test's server logs a few dozen lines; keep the last 200 for failure messages.
        this.#log.push(text);
        if (this.#log.length > 200) this.#log.shift();
        if (text.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (this.#child === child) this.#child = undefined;
        reject(new Error(`nats-server exited with ${code} before it was ready:\n${this.log}`));
      });
    });
  }

  /** Stops the server (SIGTERM, or SIGKILL with `kill: true`) and waits for it to exit. */
  async stop(options: { kill?: boolean } = {}): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(options.kill === true ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    this.#child = undefined;
  }

  /** Empties the store while the server is stopped: it comes back with no stream, as after losing its disk. */
  wipe(): void {
    if (this.#child !== undefined) throw new Error('stop nats-server before wiping its store');
    rmSync(this.storeDir, { recursive: true, force: true });
  }

  /** Stops the server and removes its store. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
