// docs/admin.md's commands, run as written: the key it makes with openssl turns the console on for a hub started
// with it (the CLI, in a process of its own), and its curl commands work against that hub, with only the host
// and port replaced.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../packages/server/src/config/schema.ts';
import { HubProcess, NODE_API_KEY } from '../helpers/hub-process.ts';
import { SseTestClient } from '../helpers/sse-client.ts';

const DOC = readFileSync(new URL('../../docs/admin.md', import.meta.url), 'utf8');
const [start = '', calls = ''] = [...DOC.matchAll(/```sh[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/admin.md, run', () => {
  let hub: HubProcess;
  let key: string;

  before(async () => {
    // SWITCHBOARD_ADMIN_KEYS="$(…)" npx switchboard serve: the key as the shell makes it, the hub as the CLI runs.
    const m = /^SWITCHBOARD_ADMIN_KEYS="\$\((.+)\)" npx switchboard serve\n$/.exec(start);
    assert.ok(m, `unexpected start command: ${start}`);
    key = execFileSync('bash', ['-c', m[1]!], { encoding: 'utf8' }).trim();
    hub = await HubProcess.start('memory', [], { SWITCHBOARD_ADMIN_KEYS: key });
  });
  after(() => hub?.stop());

  it('makes a key the hub accepts as an admin key, and the console is on', async () => {
    assert.ok(configSchema.safeParse({ admin: { keys: [key] } }).success);
    assert.ok(key.length >= 40, key);
    assert.equal((await fetch(`${hub.url}/admin`)).status, 200);
  });

  it('lists SSE connections and disconnects a user with curl', async () => {
    const ticket = (await (
      await fetch(`${hub.url}/api/tickets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${NODE_API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'u42' }),
      })
    ).json()) as { ticket: string };
    const stream = await SseTestClient.open(`${hub.url}/sse?channel=news&ticket=${ticket.ticket}`);
    await stream.waitFor((e) => e.event === 'subscribed');

    const commands = calls
      .replaceAll('http://localhost:8080', hub.url)
      .replaceAll('\\\n', ' ')
      .trim()
      .split('\n');
    assert.equal(commands.length, 2);
    const run = (command: string) =>
      JSON.parse(
        execFileSync('bash', ['-c', command], { encoding: 'utf8', env: { ...process.env, ADMIN_KEY: key } }),
      );
    const listed = run(commands[0]!);
    assert.equal(listed.matching, 1);
    assert.equal(listed.connections[0].user, 'u42');
    assert.deepEqual(run(commands[1]!), { disconnected: 1 });
    await stream.ended();
  });
});
