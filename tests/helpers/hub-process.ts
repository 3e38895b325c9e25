import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { until } from '@switchboard/test-helpers/wait';

const BIN = fileURLToPath(new URL('../../packages/server/bin/switchboard.js', import.meta.url));
export const NODE_API_KEY = 'cluster-test-key-0123456789';

/**
 * A real hub node: `switchboard serve --port 0 --engine URL` in a process of its own, as an operator runs it.
 * Its port is learned from the banner it prints; `kill()` is SIGKILL (a crash: nothing drained, nothing said).
 */
export class HubProcess {
  readonly child: ChildProcess;
  readonly port: number;
  #output: string;

  private constructor(child: ChildProcess, port: number, output: string) {
    this.child = child;
    this.port = port;
    this.#output = output;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** Everything the node printed so far (for failure messages). */
  get output(): string {
    return this.#output;
  }

  /** `env` is laid over this process's environment (and the node's API key). */
  static async start(
    engineUrl: string,
    extraArgs: readonly string[] = [],
    env: Readonly<Record<string, string>> = {},
  ): Promise<HubProcess> {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--engine',
        engineUrl,
        '--log-level',
        'warn',
        ...extraArgs,
      ],
      {
        env: { ...process.env, SWITCHBOARD_API_KEY: NODE_API_KEY, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const collect = (d: Buffer) => {
      output += d.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const banner = /WebSocket\s+ws:\/\/[^\s]+:(\d+)\/ws/;
    const port = await until(
      () => {
        if (child.exitCode !== null) throw new Error(`hub node exited with ${child.exitCode}: ${output}`);
        const m = banner.exec(output);
        return m === null ? undefined : Number(m[1]);
      },
      () => `hub node banner; output so far: ${output}`,
      20_000,
    );
    child.stdout?.off('data', collect);
    child.stderr?.off('data', collect);
    const hub = new HubProcess(child, port, output);
    child.stdout?.on('data', (d: Buffer) => {
      hub.#output += d.toString('utf8');
    });
    child.stderr?.on('data', (d: Buffer) => {
      hub.#output += d.toString('utf8');
    });
    return hub;
  }

  /** POST /api/<path> with the node's API key. */
  async api(path: string, body: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.url}/api/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${NODE_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: returned as text for the assertion message
    }
    return { status: res.status, body: parsed };
  }

  async publish(channel: string, data: unknown): Promise<{ epoch: string; offset: number }> {
    const r = await this.api('publish', { channel, data });
    if (r.status !== 200) throw new Error(`publish failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { epoch: string; offset: number };
  }

  async readyz(): Promise<number> {
    return (await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await gone;
  }

  /** SIGTERM (drain), bounded; SIGKILL if it does not exit in time. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}
