// `npm run demos`: one hub (demos/hub.json) with the demos' pages, a small backend process per demo, and the
// pages' routes on the hub's own port (StartOptions.routes), so pages, WebSocket, SSE and the SSE command endpoint
// share one origin and nothing sits between the browser and the hub.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build, type Plugin } from 'esbuild';
import pino from 'pino';
import { loadConfig, type RunningServer, startServer } from '../packages/server/src/index.ts';
import { DEMOS, type DemoEntry } from './catalog.ts';
import { indexPage } from './index-page.ts';
import { labApi } from './lab/routes.ts';

const HERE = import.meta.dirname;
const CLIENT_ENTRY = join(HERE, '..', 'packages', 'client', 'src', 'index.ts');
/** Where pages import the SDK from: one built bundle, shared by every page (and cached by the browser). */
const CLIENT_URL = '/demos/assets/switchboard.js';
const MAX_BODY = 64 * 1024;

export interface DemosOptions {
  /** The port (0: a free one). Default: the config's, i.e. `PORT` / `SWITCHBOARD_SERVER_PORT` or 8080. */
  readonly port?: number;
  readonly host?: string;
  /** Only these demos (their backends and pages); default: all. */
  readonly only?: readonly string[];
  /** Environment to read the hub's configuration from (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Options passed to every backend process through its environment (`DEMO_<NAME>`), e.g. a tick rate. */
  readonly backendEnv?: Readonly<Record<string, string>>;
  readonly logLevel?: string;
}

export interface RunningDemos {
  /** `http://host:port` of the hub and the pages. */
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  readonly demos: readonly DemoEntry[];
  readonly hub: RunningServer;
  stop(): Promise<void>;
}

interface Asset {
  readonly type: string;
  readonly body: string | Buffer;
}

interface Backend {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
}

const JS = 'text/javascript; charset=utf-8';
const HTML = 'text/html; charset=utf-8';

/** Resolves `@switchboard/client` to the shared bundle's URL instead of bundling the SDK into every page. */
const sdkExternal: Plugin = {
  name: 'switchboard-client-external',
  setup(b) {
    b.onResolve({ filter: /^@switchboard\/client$/ }, () => ({ path: CLIENT_URL, external: true }));
  },
};

async function bundle(entry: string, plugins: Plugin[]): Promise<string> {
  const result = await build({
    // The workspace packages' TypeScript sources, as the repo's scripts run them: without it esbuild takes the
    // client's imports of @switchboard/protocol from its dist/, which exists only after `npm run build`.
    conditions: ['switchboard-source'],
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    plugins,
  });
  return result.outputFiles[0]!.text;
}

/** Builds the client bundle, the kit and each demo's page script; reads the HTML. */
async function buildAssets(demos: readonly DemoEntry[]): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  assets.set(CLIENT_URL, { type: JS, body: await bundle(CLIENT_ENTRY, []) });
  assets.set('/demos/assets/kit.css', {
    type: 'text/css; charset=utf-8',
    body: readFileSync(join(HERE, 'kit', 'kit.css')),
  });
  assets.set('/demos/', { type: HTML, body: indexPage(demos) });
  assets.set('/demos/assets/lang.js', { type: JS, body: await bundle(join(HERE, 'kit', 'lang.ts'), []) });
  await Promise.all(
    demos.map(async (d) => {
      assets.set(`/demos/${d.name}/`, { type: HTML, body: readFileSync(join(HERE, d.name, 'index.html')) });
      assets.set(`/demos/${d.name}/app.js`, {
        type: JS,
        body: await bundle(join(HERE, d.name, 'page.ts'), [sdkExternal]),
      });
    }),
  );
  // The lab (/lab): its page, and the page of one "tab" of its shared-connection test, which bundles the SDK's
  // shared client (from the client package's sources, as the SDK bundle is).
  const labPage: Asset = { type: HTML, body: readFileSync(join(HERE, 'lab', 'index.html')) };
  assets.set('/lab', labPage);
  assets.set('/lab/', labPage);
  assets.set('/lab/app.js', { type: JS, body: await bundle(join(HERE, 'lab', 'page.ts'), [sdkExternal]) });
  assets.set('/lab/tab.html', { type: HTML, body: readFileSync(join(HERE, 'lab', 'tab.html')) });
  assets.set('/lab/tab.js', {
    type: JS,
    body: await bundle(join(HERE, 'lab', 'tab.ts'), []),
  });
  return assets;
}

/** Starts a demo's backend process and waits for the port it prints (`{"port":N}` on its first stdout line). */
function startBackend(d: DemoEntry, env: Record<string, string>): Promise<Backend> {
  const child = spawn(process.execPath, [join(HERE, d.name, 'backend.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => fail(new Error(`the ${d.name} backend did not start within 30 s`)),
      30_000,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('exit', (code) =>
      fail(new Error(`the ${d.name} backend exited (status ${code}) before it listened`)),
    );
    lines.once('line', (line) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const port = (JSON.parse(line) as { port?: unknown }).port;
      if (typeof port !== 'number')
        return fail(new Error(`the ${d.name} backend printed ${line}, not its port`));
      // Later lines are the backend's log: pass them on.
      lines.on('line', (l) => process.stdout.write(`[${d.name}] ${l}\n`));
      resolve({ name: d.name, port, child });
    });
  });
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

export async function startDemos(options: DemosOptions = {}): Promise<RunningDemos> {
  const demos = DEMOS.filter((d) => options.only === undefined || options.only.includes(d.name));
  if (options.only !== undefined) {
    const unknown = options.only.filter((n) => !DEMOS.some((d) => d.name === n));
    if (unknown.length > 0) throw new Error(`no such demo: ${unknown.join(', ')}`);
  }
  const apiKey = randomBytes(24).toString('base64url');
  const tokenSecret = randomBytes(32).toString('base64url');
  const config = loadConfig({
    file: join(HERE, 'hub.json'),
    env: options.env ?? process.env,
    flags: {
      api: { keys: [apiKey] },
      auth: { secret: tokenSecret, anonymous: true },
      ...(options.logLevel === undefined ? {} : { log: { level: options.logLevel } }),
      server: {
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.host === undefined ? {} : { host: options.host }),
      },
    },
  });
  const assets = await buildAssets(demos);
  const backends = new Map<string, Backend>();
  let lab: ReturnType<typeof labApi> | undefined;

  const routes = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const path = url.pathname;
    if (path === '/demos') {
      res.writeHead(308, { location: '/demos/' }).end();
      return true;
    }
    if (path.startsWith('/lab/api/')) return lab === undefined ? false : lab(req, res, path);
    if (!path.startsWith('/demos/') && path !== '/lab' && !path.startsWith('/lab/')) return false;
    if (path === '/demos/cut') {
      // The "cut" control: the hub drops the page's connection (reconnect allowed), as a network failure or a
      // deploy would, and the page shows how it resumes.
      if (req.method !== 'POST') {
        sendJson(res, 405, { error: 'POST only' });
        return true;
      }
      const body = await readBody(req);
      let client: unknown;
      try {
        client = (JSON.parse(body?.toString() ?? '') as { client?: unknown }).client;
      } catch {
        client = undefined;
      }
      if (typeof client !== 'string') {
        sendJson(res, 400, { error: 'expected {"client":"<id>"}' });
        return true;
      }
      const answer = await fetch(`http://127.0.0.1:${hub.port}/api/disconnect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ client, reconnect: true }),
      });
      sendJson(res, answer.status, await answer.json());
      return true;
    }
    const api = /^\/demos\/([a-z]+)(\/api\/.*)$/.exec(path);
    if (api !== null) {
      const backend = backends.get(api[1]!);
      if (backend === undefined) return false;
      await proxy(req, res, backend.port, `${api[2]!}${url.search}`);
      return true;
    }
    const asset = assets.get(path);
    if (asset === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    res.writeHead(200, {
      'content-type': asset.type,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy':
        "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:",
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  };

  const logger = pino({ level: config.log.level });
  const hub = await startServer(config, { logger, routes });
  lab = labApi(hub);
  try {
    const hubUrl = `http://127.0.0.1:${hub.port}`;
    const started = await Promise.all(
      demos
        .filter((d) => d.backend)
        .map((d) =>
          startBackend(d, {
            SWITCHBOARD_URL: hubUrl,
            SWITCHBOARD_API_KEY: apiKey,
            DEMO_TOKEN_SECRET: tokenSecret,
            ...options.backendEnv,
          }),
        ),
    );
    for (const b of started) backends.set(b.name, b);
  } catch (err) {
    for (const b of backends.values()) b.child.kill('SIGKILL');
    await hub.shutdown();
    throw err;
  }

  const host = hub.host === '0.0.0.0' || hub.host === '::' ? 'localhost' : hub.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${hub.port}`,
    port: hub.port,
    apiKey,
    demos,
    hub,
    async stop() {
      await Promise.all(
        [...backends.values()].map(
          (b) =>
            new Promise<void>((resolve) => {
              if (b.child.exitCode !== null || b.child.signalCode !== null) return resolve();
              b.child.once('exit', () => resolve());
              b.child.kill('SIGTERM');
            }),
        ),
      );
      await hub.shutdown();
    },
  };
}

/** Forwards a page's call to its backend (JSON requests and answers, bounded). */
async function proxy(req: IncomingMessage, res: ServerResponse, port: number, path: string): Promise<void> {
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
  if (body === null) return sendJson(res, 413, { error: 'body too large' });
  const headers: Record<string, string> = {};
  for (const h of ['content-type', 'authorization']) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  try {
    const answer = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: req.method ?? 'GET',
      headers,
      ...(body === undefined ? {} : { body: new Uint8Array(body) }),
    });
    const text = Buffer.from(await answer.arrayBuffer());
    res.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/json',
      'cache-control': 'no-store',
    });
    res.end(text);
  } catch {
    sendJson(res, 502, { error: 'the demo backend did not answer' });
  }
}
