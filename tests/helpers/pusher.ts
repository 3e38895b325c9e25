// The real Pusher clients against a test hub: pusher-js (Node build) and the `pusher` server SDK, with an auth
// endpoint on node:http that authorizes channels and users with the SDK, as an app backend would.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { until } from '@switchboard/test-helpers/wait';
import Pusher from 'pusher';
import PusherJsModule from 'pusher-js';
import type * as PusherJsTypes from 'pusher-js/types/src/core/pusher.js';

// pusher-js is CommonJS whose types say `export default`: under nodenext the default import is the class at run
// time, typed as the module.
export type PusherJs = PusherJsTypes.default;
const PusherJsClass = PusherJsModule as unknown as new (
  key: string,
  options: Record<string, unknown>,
) => PusherJs;

export const APP = { id: 'app-1', key: 'app-key-1', secret: 'app-secret-0123456789' } as const;

/** The server SDK pointed at the hub. */
export function serverSdk(
  hub: { readonly port: number },
  app: { id: string; key: string; secret: string } = APP,
): Pusher {
  return new Pusher({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: '127.0.0.1',
    port: String(hub.port),
    useTLS: false,
  });
}

export interface AuthServer {
  readonly url: string;
  /** The presence user the next authorization will name, by socket id or for every socket. */
  users: Map<string, { user_id: string; user_info?: unknown }>;
  close(): Promise<void>;
}

/** The app backend's auth endpoint: `POST /auth` (channels) and `POST /user-auth` (sign-in), with the SDK. */
export async function startAuthServer(sdk: Pusher, defaultUser = { user_id: 'u1' }): Promise<AuthServer> {
  const users = new Map<string, { user_id: string; user_info?: unknown }>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const socketId = form.get('socket_id') ?? '';
      const user = users.get(socketId) ?? defaultUser;
      let answer: unknown;
      if (req.url === '/user-auth') {
        answer = sdk.authenticateUser(socketId, {
          id: user.user_id,
          user_info: { name: `name-${user.user_id}` },
        });
      } else {
        const channel = form.get('channel_name') ?? '';
        answer = channel.startsWith('presence-')
          ? sdk.authorizeChannel(socketId, channel, user)
          : sdk.authorizeChannel(socketId, channel);
      }
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    users,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** pusher-js (Node build), unmodified, pointed at the hub; resolves once connected. */
export async function connectPusherJs(
  hub: { readonly port: number },
  auth: AuthServer | null,
  key: string = APP.key,
): Promise<PusherJs> {
  const client = new PusherJsClass(key, {
    cluster: 'local',
    wsHost: '127.0.0.1',
    wsPort: hub.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    ...(auth === null
      ? {}
      : {
          channelAuthorization: { endpoint: `${auth.url}/auth`, transport: 'ajax' as const },
          userAuthentication: { endpoint: `${auth.url}/user-auth`, transport: 'ajax' as const },
        }),
  });
  if (key === APP.key)
    await until(
      () => client.connection.state === 'connected',
      () => 'pusher-js connected',
      10_000,
    );
  return client;
}

/** Subscribes and waits for `pusher:subscription_succeeded` (or throws on `subscription_error`). */
export function subscribed(client: PusherJs, name: string): Promise<ReturnType<PusherJs['subscribe']>> {
  const channel = client.subscribe(name);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no subscription answer for ${name}`)), 10_000);
    channel.bind('pusher:subscription_succeeded', () => {
      clearTimeout(timer);
      resolve(channel);
    });
    channel.bind('pusher:subscription_error', (e: unknown) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`subscription_error on ${name}: ${JSON.stringify(e)}`), { detail: e }));
    });
  });
}

/** Collects every event `name` on `channel`. */
export function collect(channel: ReturnType<PusherJs['subscribe']>, name: string): unknown[] {
  const out: unknown[] = [];
  channel.bind(name, (d: unknown) => out.push(d));
  return out;
}
