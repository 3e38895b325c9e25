// Pusher-format webhooks, checked with the `pusher` SDK's own validator: occupancy, presence members and client
// events as pusher-js clients come and go.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { until } from '@switchboard/test-helpers/wait';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import {
  APP,
  type AuthServer,
  connectPusherJs,
  type PusherJs,
  serverSdk,
  startAuthServer,
  subscribed,
} from '../helpers/pusher.ts';

interface Hook {
  headers: IncomingHttpHeaders;
  rawBody: string;
}

describe('Pusher webhooks', () => {
  let receiver: Server;
  const hooks: Hook[] = [];
  let hub: TestHub;
  let auth: AuthServer;
  const clients: PusherJs[] = [];

  before(async () => {
    receiver = createServer((req, res) => {
      let rawBody = '';
      req.on('data', (c: Buffer) => {
        rawBody += c.toString();
      });
      req.on('end', () => {
        hooks.push({ headers: req.headers, rawBody });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/pusher/webhooks`;
    hub = await startTestHub({ pusher: { apps: [{ ...APP, webhookUrl }] } });
    auth = await startAuthServer(serverSdk(hub));
  });
  after(async () => {
    for (const c of clients) if (c.connection.state !== 'disconnected') c.disconnect();
    await auth.close();
    await hub.shutdown();
    receiver.closeAllConnections();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  /** Every event the hooks carried so far, each hook checked with the SDK's validator first. */
  const events = () =>
    hooks.flatMap((h) => {
      const webhook = serverSdk(hub).webhook(h);
      assert.ok(webhook.isValid(), `a webhook the SDK does not validate: ${h.rawBody}`);
      return webhook.getEvents() as unknown as Record<string, unknown>[];
    });
  const waitFor = (what: string, match: (e: Record<string, unknown>) => boolean) =>
    until(
      () => events().some(match),
      () => `${what}; events so far: ${JSON.stringify(events())}`,
      10_000,
    );

  it('tell occupancy, members and client events, signed as the SDK expects', async () => {
    const alice = await connectPusherJs(hub, auth);
    clients.push(alice);
    auth.users.set(alice.connection.socket_id, { user_id: 'alice' });
    const roomA = await subscribed(alice, 'presence-room');
    await waitFor('channel_occupied', (e) => e.name === 'channel_occupied' && e.channel === 'presence-room');
    await waitFor('member_added alice', (e) => e.name === 'member_added' && e.user_id === 'alice');

    const bob = await connectPusherJs(hub, auth);
    clients.push(bob);
    auth.users.set(bob.connection.socket_id, { user_id: 'bob' });
    const roomB = await subscribed(bob, 'presence-room');
    await waitFor('member_added bob', (e) => e.name === 'member_added' && e.user_id === 'bob');
    roomB.trigger('client-wave', { hi: 1 });
    await waitFor('client_event', (e) => e.name === 'client_event' && e.event === 'client-wave');
    const clientEvent = events().find((e) => e.name === 'client_event')!;
    assert.deepEqual(clientEvent, {
      name: 'client_event',
      channel: 'presence-room',
      event: 'client-wave',
      data: '{"hi":1}',
      socket_id: bob.connection.socket_id,
      user_id: 'bob',
    });

    bob.disconnect();
    await waitFor('member_removed bob', (e) => e.name === 'member_removed' && e.user_id === 'bob');
    roomA.unsubscribe();
    await waitFor('channel_vacated', (e) => e.name === 'channel_vacated' && e.channel === 'presence-room');
    await waitFor('member_removed alice', (e) => e.name === 'member_removed' && e.user_id === 'alice');
    const names = events().map((e) => e.name);
    assert.equal(names.filter((n) => n === 'channel_occupied').length, 1, names.join());
    assert.equal(names.filter((n) => n === 'channel_vacated').length, 1, names.join());

    // The validator is not a rubber stamp: a body changed in transit fails it.
    const tampered = { ...hooks[0]!, rawBody: hooks[0]!.rawBody.replace('presence-room', 'presence-roon') };
    assert.equal(serverSdk(hub).webhook(tampered).isValid(), false);
  });
});
