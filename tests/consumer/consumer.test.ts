// The packages as a user installs them: every published package built, packed with `npm pack` and installed from
// the tarballs into a fresh project outside the repository. There: `npx switchboard serve` answers /healthz; a
// Node ESM script subscribes with @switchboard/client and receives a publication; the same code, bundled with
// esbuild, does so in Chromium; a backend script uses @switchboard/server-sdk; `tsc --strict` (no skipLibCheck) accepts a file that uses the client, its React
// entry and `startServer` under `module: nodenext` and under `moduleResolution: bundler`.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { eventually, launchBrowser, openPage } from '../helpers/browser.ts';
import {
  buildAndPack,
  consumerProject,
  ROOT,
  type ServedHub,
  startServed,
  userEnv,
} from '../helpers/consumer.ts';
import { type Front, startFront } from '../helpers/front.ts';

const API_KEY = 'consumer-test-key-0123456789';

/** The code a user writes, shared by the Node script and the browser bundle. */
const RECEIVE_JS = `import { Client } from '@switchboard/client';

/** Subscribes to \`channel\`, publishes \`data\` to it through the HTTP API once subscribed, resolves with what arrives. */
export async function receiveOne(url, apiKey, channel, data) {
  const client = new Client(url);
  try {
    const sub = client.subscribe(channel);
    const arrived = new Promise((resolve) => sub.on('message', (m) => resolve(m.data)));
    await sub.ready();
    const res = await fetch(url + '/api/publish', {
      method: 'POST',
      headers: { authorization: 'Bearer ' + apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ channel, data }),
    });
    if (!res.ok) throw new Error('publish answered ' + res.status + ': ' + (await res.text()));
    return await arrived;
  } finally {
    client.disconnect();
  }
}
`;

const NODE_MAIN_JS = `import { receiveOne } from './receive.js';

const [url, apiKey] = process.argv.slice(2);
const data = await receiveOne(url, apiKey, 'consumer-node', { from: 'node' });
console.log(JSON.stringify(data));
`;

/** A backend script using the server SDK: publish and history over the HTTP API, a token minted with jose. */
const SDK_JS = `import { Switchboard, SwitchboardApiError, connectionToken } from '@switchboard/server-sdk';

const [url, apiKey] = process.argv.slice(2);
const hub = new Switchboard({ url, apiKey });
const published = await hub.publish('consumer-sdk', { from: 'sdk' });
const history = await hub.history('consumer-sdk');
let code = '';
try {
  await hub.publish('bad channel', 1);
} catch (e) {
  code = e instanceof SwitchboardApiError ? e.code : 'other';
}
const token = await connectionToken({ sub: 'u1' }, { secret: 'x'.repeat(32), expiresIn: 60 });
console.log(JSON.stringify({ offset: published.offset, data: history.publications[0].data, code, parts: token.split('.').length }));
`;

/** Types a strict project checks: the client, its React entry, and the embedded server. */
const CHECK_TS = `import { Client, type Publication, SwitchboardClientError } from '@switchboard/client';
import { SwitchboardProvider, useSubscription } from '@switchboard/client/react';
import { type Config, DEFAULTS, loadConfig, type RunningServer, startServer } from '@switchboard/server';
import { deny, hookHandler, Switchboard, type WebhookEvent, verifyWebhook } from '@switchboard/server-sdk';
import { pino } from 'pino';
import { createElement, type ReactNode } from 'react';

interface Score {
  home: number;
  away: number;
}

export function Scoreboard(): ReactNode {
  const snapshot = useSubscription<Score>('scores', { keep: 10 });
  const last: Score | undefined = snapshot.last?.data;
  return createElement('p', null, last === undefined ? '-' : \`\${last.home}:\${last.away}\`);
}

export function App(props: { client: Client }): ReactNode {
  return createElement(SwitchboardProvider, { client: props.client }, createElement(Scoreboard));
}

export function listen(client: Client): void {
  client.subscribe('scores').on('message', (m: Publication<unknown>) => console.log(m.offset, m.data));
  client.on('error', (e) => console.error(e instanceof SwitchboardClientError ? e.code : e));
}

export const onSubscribe: (r: Request) => Promise<Response> = hookHandler('subscribe', (req) =>
  req.channel.startsWith('vip:') ? deny('members only') : { info: { user: req.user } },
);

export async function backend(rawBody: string, header: string | null): Promise<number> {
  const payload = await verifyWebhook(rawBody, header, { secret: 'w'.repeat(32) });
  const names: string[] = payload.events.map((e: WebhookEvent) => e.name);
  const hub = new Switchboard({ url: 'http://127.0.0.1:8080', apiKey: 'k' });
  return (await hub.publish('audit', names)).offset;
}

export async function embed(): Promise<RunningServer> {
  const config: Config = loadConfig({ env: process.env, flags: { server: { port: 0 } } });
  const port: number = DEFAULTS.server.port;
  console.log(port);
  return startServer(config, { logger: pino({ level: 'warn' }) });
}
`;

const TSCONFIG = (module: string, moduleResolution: string) => ({
  compilerOptions: {
    target: 'es2022',
    module,
    moduleResolution,
    lib: ['es2022', 'dom'],
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    noEmit: true,
  },
  files: ['check.ts'],
});

describe('the packed packages in a fresh project', () => {
  let packDir = '';
  let project = '';
  let hub: ServedHub | undefined;
  let front: Front | undefined;
  let browser: Browser | undefined;

  before(async () => {
    packDir = mkdtempSync(join(tmpdir(), 'switchboard-pack-'));
    const tarballs = buildAndPack(packDir);
    project = consumerProject(tarballs, [
      'react@^19',
      '@types/react@^19',
      '@types/node@^24',
      'pino@^10',
      'typescript@^5.9',
    ]);
    writeFileSync(join(project, 'receive.js'), RECEIVE_JS);
    writeFileSync(join(project, 'main.js'), NODE_MAIN_JS);
    writeFileSync(join(project, 'sdk.js'), SDK_JS);
    writeFileSync(join(project, 'browser.js'), `export { receiveOne } from './receive.js';\n`);
    writeFileSync(join(project, 'check.ts'), CHECK_TS);
    hub = await startServed(
      'npx',
      ['--no-install', 'switchboard', 'serve', '--port', '0', '--host', '127.0.0.1'],
      project,
      userEnv({ SWITCHBOARD_API_KEY: API_KEY }),
    );
  });
  after(async () => {
    await browser?.close();
    await front?.stop();
    await hub?.stop();
    for (const dir of [project, packDir]) if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('ships built JavaScript, types and maps, and no sources or tests', () => {
    const listing = execFileSync('tar', ['-tzf', join(packDir, 'switchboard-server-0.1.0.tgz')], {
      encoding: 'utf8',
    });
    const files = listing.trim().split('\n');
    assert.ok(files.includes('package/dist/index.js'), listing);
    assert.ok(files.includes('package/dist/index.d.ts'), listing);
    assert.ok(files.includes('package/dist/index.js.map'), listing);
    assert.ok(files.includes('package/dist/bin/switchboard.js'), listing);
    const stray = files.filter(
      (f) => f.includes('/src/') || f.includes('.test.') || /\.ts$/.test(f.replace(/\.d\.ts$/, '')),
    );
    assert.deepEqual(stray, [], 'no sources or tests in the tarball');
  });

  it('npx switchboard serve answers /healthz', async () => {
    assert.ok(hub !== undefined);
    const res = await fetch(`${hub.url}/healthz`);
    assert.equal(res.status, 200, await res.text());
    // The hub that answers runs from the project's node_modules, not from the repository.
    const installed = JSON.parse(
      readFileSync(join(project, 'node_modules/@switchboard/server/package.json'), 'utf8'),
    );
    assert.equal(installed.bin.switchboard, './dist/bin/switchboard.js');
  });

  it('a Node ESM script subscribes with @switchboard/client and receives a publication', () => {
    assert.ok(hub !== undefined);
    const r = spawnSync(process.execPath, ['main.js', hub.url, API_KEY], {
      cwd: project,
      env: userEnv(),
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `node main.js: ${r.stderr}${r.stdout}`);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { from: 'node' });
  });

  it('a Node backend script publishes, reads history and mints a token with @switchboard/server-sdk', () => {
    assert.ok(hub !== undefined);
    const r = spawnSync(process.execPath, ['sdk.js', hub.url, API_KEY], {
      cwd: project,
      env: userEnv(),
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `node sdk.js: ${r.stderr}${r.stdout}`);
    assert.deepEqual(JSON.parse(r.stdout.trim()), {
      offset: 1,
      data: { from: 'sdk' },
      code: 'invalid_channel',
      parts: 3,
    });
  });

  it('the same code bundled with esbuild receives a publication in Chromium', async () => {
    assert.ok(hub !== undefined);
    const bundled = await build({
      absWorkingDir: project,
      entryPoints: ['browser.js'],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const app = bundled.outputFiles[0]?.text ?? '';
    // Built from the installed package (dist/), not the repository's sources.
    assert.ok(!app.includes(ROOT), 'the bundle names no file of the repository');
    front = await startFront(hub.port, {
      '/': {
        type: 'text/html; charset=utf-8',
        body: '<!doctype html><meta charset="utf-8"><title>consumer</title>',
      },
      '/app.js': { type: 'text/javascript; charset=utf-8', body: app },
    });
    browser = await launchBrowser();
    const { page, problems } = await openPage(browser, `${front.url}/`);
    await page.evaluate(
      ([key]) => {
        const w = window as unknown as { received?: unknown; failed?: string };
        import('/app.js' as string)
          .then((m: { receiveOne: (...a: unknown[]) => Promise<unknown> }) =>
            m.receiveOne(location.origin, key, 'consumer-browser', { from: 'chromium' }),
          )
          .then(
            (data) => {
              w.received = data;
            },
            (err: Error) => {
              w.failed = String(err);
            },
          );
      },
      [API_KEY],
    );
    const outcome = await eventually('the page to receive its publication', () =>
      page.evaluate(() => {
        const w = window as unknown as { received?: unknown; failed?: string };
        return w.received !== undefined || w.failed !== undefined
          ? { received: w.received, failed: w.failed }
          : undefined;
      }),
    );
    assert.deepEqual(outcome, { received: { from: 'chromium' }, failed: undefined }, problems.join('\n'));
  });

  for (const [label, module, resolution] of [
    ['module: nodenext', 'nodenext', 'nodenext'],
    ['moduleResolution: bundler', 'esnext', 'bundler'],
  ] as const) {
    for (const [tsc, bin] of [
      ['TypeScript 7 (the repo’s)', join(ROOT, 'node_modules/typescript/bin/tsc')],
      ['TypeScript 5 (the project’s)', 'node_modules/typescript/bin/tsc'],
    ] as const) {
      it(`tsc --noEmit --strict passes on the client, its React entry and startServer under ${label}, ${tsc}`, () => {
        const config = `tsconfig.${resolution}.json`;
        writeFileSync(join(project, config), JSON.stringify(TSCONFIG(module, resolution), null, 2));
        const r = spawnSync(process.execPath, [bin, '-p', config, '--noEmit', '--strict'], {
          cwd: project,
          env: userEnv(),
          encoding: 'utf8',
          timeout: 120_000,
        });
        assert.equal(r.status, 0, `tsc (${config}) reported:\n${r.stdout}${r.stderr}`);
      });
    }
  }
});
