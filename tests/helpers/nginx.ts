// A real nginx running deploy/nginx/switchboard.conf, as shipped, with its own prefix under the temp dir: only the
// hub's address, the listen ports, the certificate (self-signed, made with openssl) and, where a test asks,
// proxy_read_timeout are changed. Each change must find its line, so the sample cannot drift from what is tested.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { untilAsync } from '@switchboard/test-helpers/wait';

export const NGINX_SAMPLE = join(import.meta.dirname, '..', '..', 'deploy', 'nginx', 'switchboard.conf');

export interface RunningNginx {
  /** `http://127.0.0.1:<port>`: the sample's port-80 server (redirects to https). */
  readonly httpUrl: string;
  /** `https://127.0.0.1:<port>`: the sample's TLS server, in front of the hub. */
  readonly httpsUrl: string;
  stop(): Promise<void>;
  /** nginx's error log so far, for failure messages. */
  errorLog(): string;
}

/** A port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + from.length) >= 0)
    throw new Error(`the nginx sample should contain exactly one "${from}"`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

export async function startNginx(
  hubPort: number,
  options: { readTimeout?: string } = {},
): Promise<RunningNginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'switchboard-nginx-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
    ].concat([
      '-subj',
      '/CN=hub.example.com',
      '-keyout',
      join(prefix, 'privkey.pem'),
      '-out',
      join(prefix, 'fullchain.pem'),
    ]),
    { stdio: 'ignore' },
  );
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  let conf = readFileSync(NGINX_SAMPLE, 'utf8');
  conf = replaceOnce(conf, 'server 127.0.0.1:8080 ', `server 127.0.0.1:${hubPort} `);
  conf = replaceOnce(conf, 'listen 80;', `listen 127.0.0.1:${httpPort};`);
  conf = replaceOnce(conf, 'listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`);
  conf = replaceOnce(conf, '/etc/ssl/hub.example.com/fullchain.pem', join(prefix, 'fullchain.pem'));
  conf = replaceOnce(conf, '/etc/ssl/hub.example.com/privkey.pem', join(prefix, 'privkey.pem'));
  if (options.readTimeout !== undefined)
    conf = replaceOnce(conf, 'proxy_read_timeout 60s;', `proxy_read_timeout ${options.readTimeout};`);
  await launchNginx(prefix, conf, [httpPort, httpsPort]);
  return runningNginx(prefix, `http://127.0.0.1:${httpPort}`, `https://127.0.0.1:${httpsPort}`);
}

/**
 * nginx with `conf` (what goes in the `http` block) in a fresh prefix; resolves once every port in `ports`
 * accepts connections. `httpUrl` is the first port.
 */
export async function startNginxWith(conf: string, ports: readonly number[]): Promise<RunningNginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'switchboard-nginx-'));
  await launchNginx(prefix, conf, ports);
  return runningNginx(prefix, `http://127.0.0.1:${ports[0]}`, '');
}

const running = new Map<string, { proc: ChildProcess; exited: Promise<void> }>();

async function launchNginx(prefix: string, conf: string, ports: readonly number[]): Promise<void> {
  for (const dir of ['logs', 'tmp']) mkdirSync(join(prefix, dir), { recursive: true });
  writeFileSync(join(prefix, 'switchboard.conf'), conf);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${join(prefix, 'tmp', t)};`)
    .join('\n');
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs', 'error.log')} info;
events { worker_connections 256; }
http {
  access_log off;
${temp}
  include ${join(prefix, 'switchboard.conf')};
}
`,
  );
  const proc: ChildProcess = spawn(
    'nginx',
    [
      '-p',
      prefix,
      '-e',
      join(prefix, 'logs', 'error.log'),
      '-c',
      join(prefix, 'nginx.conf'),
      '-g',
      'daemon off;',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += String(d);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  running.set(prefix, { proc, exited });
  await untilAsync(
    async () => {
      if (proc.exitCode !== null) throw new Error(`nginx exited: ${stderr}\n${errorLogOf(prefix)}`);
      for (const port of ports) if (!(await portOpen(port))) return false;
      return true;
    },
    () => `nginx listening on ${ports.join(', ')}: ${stderr}`,
    10_000,
  );
}

function errorLogOf(prefix: string): string {
  try {
    return readFileSync(join(prefix, 'logs', 'error.log'), 'utf8');
  } catch {
    return ''; // not written yet
  }
}

function runningNginx(prefix: string, httpUrl: string, httpsUrl: string): RunningNginx {
  return {
    httpUrl,
    httpsUrl,
    errorLog: () => errorLogOf(prefix),
    async stop() {
      const r = running.get(prefix);
      if (r !== undefined) {
        if (r.proc.exitCode === null) r.proc.kill('SIGTERM');
        await r.exited;
        running.delete(prefix);
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
