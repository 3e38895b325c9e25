// The Pusher dialect on two real hub nodes sharing one engine (tests/cluster/pusher-redis.test.ts and
// pusher-nats.test.ts): a presence channel's members are the same from both nodes, member_added /
// member_removed cross nodes, an event triggered through one node's REST API and a client event sent on the other
// reach subscribers on both, and the user count seen from either node follows a member who left.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until, untilAsync } from '@switchboard/test-helpers/wait';
import { HubProcess } from '../helpers/hub-process.ts';
import {
  APP,
  type AuthServer,
  collect,
  connectPusherJs,
  type PusherJs,
  serverSdk,
  startAuthServer,
  subscribed,
} from '../helpers/pusher.ts';

const ENV = {
  SWITCHBOARD_PUSHER_APP_ID: APP.id,
  SWITCHBOARD_PUSHER_APP_KEY: APP.key,
  SWITCHBOARD_PUSHER_APP_SECRET: APP.secret,
};

export interface PusherClusterBackend {
  /** The engine URL both nodes are started with. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * `limit` bounds one engine call's delivery to every node; a presence change is two calls (the presence entry,
 * then the join or leave publication), each within it.
 */
export function pusherOnTwoNodes(
  engine: string,
  startBackend: () => Promise<PusherClusterBackend>,
  deliveryLimitMs: number,
): void {
  describe(`cluster: the Pusher dialect on two nodes over ${engine}`, () => {
    let backend: PusherClusterBackend;
    let a: HubProcess;
    let b: HubProcess;
    let auth: AuthServer;
    const clients: PusherJs[] = [];
    const limit = 2 * deliveryLimitMs;

    before(async () => {
      backend = await startBackend();
      [a, b] = await Promise.all([
        HubProcess.start(backend.url, [], ENV),
        HubProcess.start(backend.url, [], ENV),
      ]);
      auth = await startAuthServer(serverSdk(a));
    });
    after(async () => {
      for (const c of clients) if (c.connection.state !== 'disconnected') c.disconnect();
      await auth?.close();
      await Promise.all([a?.stop(), b?.stop()]);
      await backend?.stop();
    });

    it('shares presence members, events and client events between the nodes', async () => {
      const alice = await connectPusherJs(a, auth);
      clients.push(alice);
      auth.users.set(alice.connection.socket_id, { user_id: 'alice', user_info: { at: 'a' } });
      const roomA = (await subscribed(alice, 'presence-room')) as any;
      const added: any[] = [];
      const removed: any[] = [];
      roomA.bind('pusher:member_added', (m: unknown) => added.push(m));
      roomA.bind('pusher:member_removed', (m: unknown) => removed.push(m));

      const bob = await connectPusherJs(b, auth);
      clients.push(bob);
      auth.users.set(bob.connection.socket_id, { user_id: 'bob', user_info: { at: 'b' } });
      const roomB = (await subscribed(bob, 'presence-room')) as any;
      assert.deepEqual(
        roomB.members.get('alice')?.info,
        { at: 'a' },
        'alice, on node A, is listed on node B',
      );
      await until(
        () => added.length === 1,
        () => 'member_added for bob at alice',
        limit,
      );
      assert.deepEqual(added[0], { id: 'bob', info: { at: 'b' } });

      for (const node of [a, b]) {
        const res = await serverSdk(node).get({ path: '/channels/presence-room/users' });
        const ids = ((await res.json()) as { users: { id: string }[] }).users.map((u) => u.id).sort();
        assert.deepEqual(ids, ['alice', 'bob'], `users as node ${node === a ? 'A' : 'B'} lists them`);
      }

      const atAlice = collect(roomA, 'client-wave');
      const newsAtBob = collect(roomB, 'news');
      roomB.trigger('client-wave', { from: 'bob' });
      await serverSdk(a).trigger('presence-room', 'news', { from: 'api at A' });
      await until(
        () => atAlice.length === 1 && newsAtBob.length === 1,
        () => 'both events across nodes',
        limit,
      );
      assert.deepEqual(atAlice[0], { from: 'bob' });
      assert.deepEqual(newsAtBob[0], { from: 'api at A' });

      bob.disconnect();
      await until(
        () => removed.length === 1,
        () => 'member_removed for bob at alice',
        limit,
      );
      assert.deepEqual(removed[0], { id: 'bob', info: { at: 'b' } });
      await untilAsync(
        async () => {
          const res = await serverSdk(b).get({
            path: '/channels/presence-room',
            params: { info: 'user_count' },
          });
          return ((await res.json()) as { user_count: number }).user_count === 1;
        },
        () => 'user_count 1 once bob left',
        limit,
      );
    });
  });
}
