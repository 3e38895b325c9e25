// In real Chromium: the browser builds of pusher-js and Laravel Echo, unmodified, on a page served by an app
// backend whose auth endpoint signs with the `pusher` server SDK; the SDK triggers, the page receives; presence
// members between the page and a Node pusher-js client.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchBrowser, openPage } from '../helpers/browser.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import {
  APP,
  connectPusherJs,
  type PusherJs,
  serverSdk,
  startAuthServer,
  subscribed,
} from '../helpers/pusher.ts';

const require = createRequire(import.meta.url);
const PUSHER_JS = readFileSync(require.resolve('pusher-js/dist/web/pusher.min.js'), 'utf8');
const ECHO_JS = readFileSync(require.resolve('laravel-echo/iife'), 'utf8');

describe('pusher-js and Laravel Echo in Chromium', () => {
  let hub: TestHub;
  let site: Server;
  let siteUrl: string;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const nodeClients: PusherJs[] = [];

  before(async () => {
    hub = await startTestHub({ pusher: { apps: [APP] } });
    const sdk = serverSdk(hub);
    // The app backend: the page, the two client builds, and the auth endpoint (same origin as the page).
    site = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/broadcasting/auth') {
        let body = '';
        req.on('data', (c: Buffer) => {
          body += c.toString();
        });
        req.on('end', () => {
          const form = new URLSearchParams(body);
          const socketId = form.get('socket_id') ?? '';
          const channel = form.get('channel_name') ?? '';
          const answer = channel.startsWith('presence-')
            ? sdk.authorizeChannel(socketId, channel, {
                user_id: 'browser-user',
                user_info: { name: 'Page' },
              })
            : sdk.authorizeChannel(socketId, channel);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer));
        });
        return;
      }
      const scripts: Record<string, string> = { '/pusher.js': PUSHER_JS, '/echo.js': ECHO_JS };
      const script = scripts[req.url ?? ''];
      if (script !== undefined) {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        return void res.end(script);
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><script src="/pusher.js"></script><script src="/echo.js"></script><p>app</p>');
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser, `${siteUrl}/`));
  });
  after(async () => {
    for (const c of nodeClients) if (c.connection.state !== 'disconnected') c.disconnect();
    await browser?.close();
    site?.closeAllConnections();
    await new Promise<void>((r) => (site ? site.close(() => r()) : r()));
    await hub?.shutdown();
  });

  it('pusher-js (web build) gets public and private events the SDK triggers, and presence members', async () => {
    await page.evaluate(
      ({ key, port }) => {
        const w = window as any;
        w.seen = [];
        w.members = [];
        const pusher = new w.Pusher(key, {
          cluster: '',
          wsHost: '127.0.0.1',
          wsPort: port,
          forceTLS: false,
          enabledTransports: ['ws'],
          disableStats: true,
          channelAuthorization: { endpoint: '/broadcasting/auth', transport: 'ajax' },
        });
        w.pusher = pusher;
        for (const name of ['news', 'private-orders']) {
          const ch = pusher.subscribe(name);
          ch.bind('pusher:subscription_succeeded', () => w.seen.push(`subscribed ${name}`));
          ch.bind('update', (d: unknown) => w.seen.push(`${name} ${JSON.stringify(d)}`));
        }
        const lobby = pusher.subscribe('presence-lobby');
        lobby.bind('pusher:subscription_succeeded', (m: any) =>
          w.members.push(`count ${m.count} me ${m.me.id}`),
        );
        lobby.bind('pusher:member_added', (m: any) => w.members.push(`added ${m.id}`));
        lobby.bind('pusher:member_removed', (m: any) => w.members.push(`removed ${m.id}`));
      },
      { key: APP.key, port: hub.port },
    );
    const seen = () => page.evaluate(() => (window as any).seen as string[]);
    await eventually('both subscriptions', async () => ((await seen()).length === 2 ? true : undefined), {
      timeoutMs: 10_000,
      lastSeen: seen,
    });
    const sdk = serverSdk(hub);
    await sdk.trigger(['news', 'private-orders'], 'update', { n: 1 });
    await eventually('both events', async () => ((await seen()).length === 4 ? true : undefined), {
      timeoutMs: 10_000,
      lastSeen: seen,
    });
    assert.deepEqual((await seen()).slice(2).sort(), ['news {"n":1}', 'private-orders {"n":1}']);

    // A Node pusher-js client joins the page's presence channel as another user, then leaves.
    const auth = await startAuthServer(sdk, { user_id: 'node-user' });
    try {
      const other = await connectPusherJs(hub, auth);
      nodeClients.push(other);
      const lobby = (await subscribed(other, 'presence-lobby')) as any;
      assert.deepEqual(Object.keys(lobby.members.members).sort(), ['browser-user', 'node-user']);
      other.unsubscribe('presence-lobby');
      const members = () => page.evaluate(() => (window as any).members as string[]);
      await eventually(
        'added then removed',
        async () => ((await members()).length === 3 ? true : undefined),
        {
          timeoutMs: 10_000,
          lastSeen: members,
        },
      );
      assert.deepEqual(await members(), ['count 1 me browser-user', 'added node-user', 'removed node-user']);
    } finally {
      await auth.close();
    }
    assert.deepEqual(problems, []);
  });

  it('Laravel Echo (browser build) on pusher-js listens on a private channel and whispers', async () => {
    await page.evaluate(
      ({ key, port }) => {
        const w = window as any;
        w.echoSeen = [];
        w.echo = new w.Echo.default({
          broadcaster: 'pusher',
          key,
          cluster: '',
          wsHost: '127.0.0.1',
          wsPort: port,
          forceTLS: false,
          enabledTransports: ['ws'],
          disableStats: true,
          authEndpoint: '/broadcasting/auth',
          Pusher: w.Pusher,
        });
        w.echo
          .private('invoices')
          .subscribed(() => w.echoSeen.push('subscribed'))
          .listen('.paid', (d: unknown) => w.echoSeen.push(`paid ${JSON.stringify(d)}`))
          .listenForWhisper('typing', (d: unknown) => w.echoSeen.push(`typing ${JSON.stringify(d)}`));
      },
      { key: APP.key, port: hub.port },
    );
    const seen = () => page.evaluate(() => (window as any).echoSeen as string[]);
    await eventually(
      'Echo subscribed',
      async () => ((await seen()).includes('subscribed') ? true : undefined),
      {
        timeoutMs: 10_000,
        lastSeen: seen,
      },
    );
    await serverSdk(hub).trigger('private-invoices', 'paid', { invoice: 9 });
    // A whisper (client event) from a Node pusher-js client on the same private channel.
    const auth = await startAuthServer(serverSdk(hub));
    try {
      const other = await connectPusherJs(hub, auth);
      nodeClients.push(other);
      const ch = await subscribed(other, 'private-invoices');
      ch.trigger('client-typing', { who: 'node' });
      await eventually('paid and typing', async () => ((await seen()).length === 3 ? true : undefined), {
        timeoutMs: 10_000,
        lastSeen: seen,
      });
      assert.deepEqual((await seen()).slice(1).sort(), ['paid {"invoice":9}', 'typing {"who":"node"}']);
    } finally {
      await auth.close();
    }
    assert.deepEqual(problems, []);
  });
});
