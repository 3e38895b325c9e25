// docs/pusher.md cannot drift from the code: its error code table is the hub's, its config example is valid, and
// its migration snippets (pusher-js, Laravel Echo, the Node server SDK) run unchanged against a hub started with
// its own command, with only the host and port replaced.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { until } from '@switchboard/test-helpers/wait';
import { configSchema } from '../../packages/server/src/config/schema.ts';
import { PUSHER_CODES } from '../../packages/server/src/transport/pusher/codes.ts';
import { HubProcess } from '../helpers/hub-process.ts';
import type { PusherJs } from '../helpers/pusher.ts';

const DOC = readFileSync(new URL('../../docs/pusher.md', import.meta.url), 'utf8');
const blocks = (lang: string) =>
  // The language may be followed by the docs tier's markers (`js tested-by=…`, tests/docs/blocks.ts).
  [...DOC.matchAll(new RegExp(`\`\`\`${lang}(?:[ \\t][^\\n]*)?\\n([\\s\\S]*?)\`\`\``, 'g'))].map(
    (m) => m[1]!,
  );

describe('docs/pusher.md', () => {
  it('lists every Pusher error code the hub sends, with its meaning, and no other', () => {
    const section = DOC.slice(DOC.indexOf('## Error codes'), DOC.indexOf('## Decisions'));
    const rows = [...section.matchAll(/^\| (\d{4}) \| (.+) \|$/gm)].map((m) => [Number(m[1]), m[2]!.trim()]);
    assert.deepEqual(
      rows,
      Object.entries(PUSHER_CODES).map(([code, text]) => [Number(code), text]),
    );
  });

  it('gives a valid config file', () => {
    const [json] = blocks('json');
    const r = configSchema.safeParse(JSON.parse(json!));
    assert.ok(r.success, r.error?.message);
    assert.equal(r.data?.pusher.apps.length, 2);
  });

  describe('the migration snippets, against a hub started as the doc says', () => {
    let hub: HubProcess;
    const written: string[] = [];
    const closers: (() => void)[] = [];

    before(async () => {
      const command = blocks('sh')[0]!.trim();
      const words = command.split(/\s+/);
      const env = Object.fromEntries(
        words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => w.split('=') as [string, string]),
      );
      assert.deepEqual(
        words.filter((w) => !/^[A-Z_]+=/.test(w)),
        ['npm', 'start'],
      );
      hub = await HubProcess.start('memory', [], env);
    });
    after(async () => {
      for (const close of closers) close();
      for (const f of written) rmSync(f, { force: true });
      await hub.stop();
    });

    /** A ```js block of the doc as a module on this hub: its default export. */
    async function snippet(marker: string): Promise<any> {
      const source = blocks('js').find((b) => b.includes(marker));
      assert.ok(source, `no js block with ${marker}`);
      const local = source
        .replaceAll("'hub.example.com'", "'127.0.0.1'")
        .replaceAll("'8080'", `'${hub.port}'`)
        .replaceAll('wsPort: 8080', `wsPort: ${hub.port}`);
      const file = fileURLToPath(new URL(`./.pusher-docs-${written.length}.mjs`, import.meta.url));
      writeFileSync(file, local);
      written.push(file);
      return ((await import(file)) as { default: unknown }).default;
    }

    it('pusher-js and Laravel Echo receive what the server SDK triggers', async () => {
      const pusher = (await snippet("from 'pusher-js';\n\nconst pusher")) as PusherJs;
      closers.push(() => pusher.disconnect());
      const echo = await snippet("from 'laravel-echo'");
      closers.push(() => echo.disconnect());
      const sdk = await snippet("from 'pusher';");
      const atPusher: unknown[] = [];
      const atEcho: unknown[] = [];
      const channel = pusher.subscribe('orders');
      channel.bind('shipped', (d: unknown) => atPusher.push(d));
      let echoReady = false;
      echo
        .channel('orders')
        .subscribed(() => {
          echoReady = true;
        })
        .listen('.shipped', (d: unknown) => atEcho.push(d));
      await until(
        () => channel.subscribed && echoReady,
        () => 'both subscribed',
        10_000,
      );
      await sdk.trigger('orders', 'shipped', { id: 1 });
      await until(
        () => atPusher.length === 1 && atEcho.length === 1,
        () => 'the event at both',
        10_000,
      );
      assert.deepEqual(atPusher[0], { id: 1 });
      assert.deepEqual(atEcho[0], { id: 1 });
    });
  });
});
