// docs/backend.md's complete backends, as a user copies them: the Node one (with @switchboard/server-sdk) and the
// Python one (standard library only) are written out of the page and run against a hub configured by the page's
// hub.json. Each must admit a connection by its cookie and refuse one without, allow and refuse subscribes,
// rewrite and refuse publications, answer and refuse RPCs, and receive verified webhooks.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import WebSocket from 'ws';
import { configSchema } from '../../packages/server/src/config/schema.ts';
import { deadUrl } from '../helpers/backend.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const PAGE = readFileSync(join(ROOT, 'docs/backend.md'), 'utf8');

/** The fenced block whose info string names `file` (```js backend.mjs tested-by=…, the docs tier's marker). */
function block(file: string): string {
  const m = new RegExp(`\`\`\`\\w+ ${file.replace('.', '\\.')}(?: [^\\n]*)?\\n([\\s\\S]*?)\\n\`\`\``).exec(
    PAGE,
  );
  assert.ok(m, `docs/backend.md has no block for ${file}`);
  return m[1]!;
}

const SECRET = 'change-me-to-32-or-more-characters!';

async function startBackend(
  command: string[],
  dir: string,
): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const port = new URL(await deadUrl()).port;
  const child = spawn(command[0]!, command.slice(1), {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', PORT: port, WEBHOOK_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const url = await until(
    () => /backend listening on (http:\/\/\S+)/.exec(out)?.[1],
    () => `the backend did not start: ${out}`,
    15_000,
  );
  return { child, url, out: () => out };
}

for (const [name, file, command] of [
  [
    'Node, with the server SDK',
    'backend.mjs',
    [process.execPath, '--conditions=switchboard-source', 'backend.mjs'],
  ],
  ['Python, standard library only', 'backend.py', ['python3', 'backend.py']],
] as const) {
  describe(`docs/backend.md: the ${name}`, () => {
    let hub: TestHub | undefined;
    let backend: Awaited<ReturnType<typeof startBackend>> | undefined;
    // Under the repository's node_modules, so `@switchboard/server-sdk` resolves as in an installed project.
    const cache = join(ROOT, 'node_modules/.cache');
    mkdirSync(cache, { recursive: true });
    const dir = mkdtempSync(join(cache, 'backend-docs-'));
    after(async () => {
      await hub?.shutdown();
      backend?.child.kill();
      rmSync(dir, { recursive: true, force: true });
    });

    it('runs every hook and receives verified webhooks', async () => {
      writeFileSync(join(dir, file), block(file));
      backend = await startBackend([...command], dir);
      const raw = JSON.parse(block('hub.json').replaceAll('http://127.0.0.1:3000', backend.url));
      hub = await startTestHub(configSchema.parse(raw));

      const refused = new WebSocket(hub.wsUrl);
      const first = new Promise<string>((resolve) => refused.once('message', (d) => resolve(String(d))));
      const code = await new Promise<number>((resolve) => refused.on('close', (c) => resolve(c)));
      assert.equal(code, 4502);
      assert.equal(JSON.parse(await first).message, 'log in first');

      const ada = await WsTestClient.connect(hub.wsUrl, { headers: { cookie: 'session=ada' } });
      assert.equal(ada.frames[0]!.user, 'ada');
      assert.equal((await ada.request({ type: 'subscribe', channel: 'chat:lobby' })).type, 'subscribed');
      assert.equal((await ada.request({ type: 'subscribe', channel: 'chat:admin' })).message, 'admins only');
      assert.equal(
        (await ada.request({ type: 'publish', channel: 'chat:lobby', data: { text: 'hi' } })).type,
        'published',
      );
      assert.equal(
        (await ada.request({ type: 'publish', channel: 'chat:lobby', data: { text: 'spam!' } })).message,
        'no spam',
      );
      const [message] = await ada.waitMessages(1, 'chat:lobby');
      assert.deepEqual(message!.data, { text: 'hi', by: 'ada' });
      const time = await ada.request({ type: 'rpc', method: 'chat:time', data: {} });
      assert.equal(typeof time.data.now, 'number');
      assert.equal(
        (await ada.request({ type: 'rpc', method: 'chat:nope', data: {} })).message,
        'unknown method',
      );
      const client = ada.frames[0]!.client as string;
      await ada.close();

      for (const line of [
        'webhook channel_occupied chat:lobby',
        'webhook member_added chat:lobby',
        'webhook client_event chat:lobby',
        'webhook channel_vacated chat:lobby',
        `webhook connection_closed ${client}`,
      ])
        await until(
          () => backend!.out().includes(line),
          () => `no "${line}" in: ${backend!.out()}`,
        );
    });
  });
}
