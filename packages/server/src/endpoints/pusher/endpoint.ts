import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { pusherAppsOf } from '../../config/pusher-apps.ts';
import type { PusherApp } from '../../config/types.ts';
import type { SwitchboardNode } from '../../core/node.ts';
import { disconnectFor } from '../../errors.ts';
import { HeartbeatWheel } from '../../transport/heartbeat.ts';
import { PUSHER_CODES, type PusherCode } from '../../transport/pusher/codes.ts';
import { Roster } from '../../transport/pusher/roster.ts';
import { PusherTransport } from '../../transport/pusher/transport.ts';
import { WebSocketTransport } from '../../transport/websocket.ts';
import { encodeTextFrame } from '../../transport/ws-frame.ts';
import { PusherConnection, pusherIdentity } from './connection.ts';
import { PusherWebhooks } from './webhooks.ts';

/** What pusher-js is told: send `pusher:ping` after this many seconds without a message (Pusher's own value). */
export const ACTIVITY_TIMEOUT_S = 120;

/** One heartbeat, one write: a control ping and a `pusher:ping` event (pusher-js answers it with `pusher:pong`). */
const HEARTBEAT = Buffer.concat([
  Buffer.from([0x89, 0x00]),
  encodeTextFrame('{"event":"pusher:ping","data":{}}'),
]);

/** Protocol versions the hub speaks (pusher-js 8 sends 7). */
const PROTOCOLS = new Set([5, 6, 7]);

/**
 * The Pusher Channels protocol at `/app/{key}`: each connection is a hub session (subscriptions, presence,
 * delivery, bounds) whose transport writes Pusher events, and whose messages a `PusherConnection` turns into
 * subscribes and publishes. Refusals Pusher defines as error codes (an unknown key, a wrong protocol, a full hub)
 * are sent as `pusher:error` and the matching close code after the upgrade, as Pusher does, so clients act on them.
 */
export class PusherEndpoint {
  readonly #node: SwitchboardNode;
  readonly #apps: ReadonlyMap<string, PusherApp>;
  readonly #wss: WebSocketServer;
  readonly #connections = new Map<WebSocketTransport, PusherConnection>();
  readonly #heartbeats: HeartbeatWheel<WebSocketTransport>;
  readonly #webhooks: PusherWebhooks;

  constructor(node: SwitchboardNode) {
    this.#node = node;
    this.#webhooks = new PusherWebhooks(node.logger);
    this.#apps = new Map(pusherAppsOf(node.config).map((a) => [a.key, a]));
    this.#heartbeats = new HeartbeatWheel(
      node.config.heartbeat.intervalMs,
      (t) => t.heartbeat(HEARTBEAT),
      () => this.#dropSilent(),
    );
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: node.config.limits.maxFrameBytes,
    });
  }

  get count(): number {
    return this.#connections.size;
  }

  start(): void {
    this.#heartbeats.start();
  }

  stop(): void {
    this.#heartbeats.stop();
    for (const t of this.#connections.keys()) t.terminate();
  }

  /** `GET /app/{key}?protocol=7…` with `Upgrade: websocket`. */
  handleUpgrade(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    key: string,
    query: URLSearchParams,
  ): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const app = this.#apps.get(key);
      const protocol = query.get('protocol');
      const refusal: PusherCode | null =
        app === undefined
          ? 4001
          : protocol === null
            ? 4008
            : !/^\d+$/.test(protocol)
              ? 4006
              : !PROTOCOLS.has(Number(protocol))
                ? 4007
                : this.#node.draining
                  ? 4200
                  : !this.#node.hasRoom()
                    ? 4004
                    : null;
      if (refusal !== null || app === undefined) return this.#refuse(ws, refusal ?? 4001);
      this.#accept(ws, socket, app);
    });
  }

  #refuse(ws: WebSocket, code: PusherCode): void {
    this.#node.metrics.refused.inc({ reason: code === 4004 ? 'too_many_connections' : 'pusher_refused' });
    ws.send(JSON.stringify({ event: 'pusher:error', data: { code, message: PUSHER_CODES[code] } }));
    ws.close(code, PUSHER_CODES[code].slice(0, 100));
  }

  #accept(ws: WebSocket, socket: Socket, app: PusherApp): void {
    const { limits } = this.#node.config;
    const bytes = new WebSocketTransport(
      ws,
      socket,
      { maxBytes: limits.maxOutgoingBytes, maxMs: limits.maxOutgoingMs, budget: this.#node.outgoing },
      () => session.disconnect(disconnectFor('slow_consumer')),
      this.#node.metrics.bytesWritten.pusher,
    );
    const socketId = `${randomInt(1, 2 ** 47)}.${randomInt(1, 2 ** 47)}`;
    const roster = new Roster(socketId);
    const transport = new PusherTransport(bytes, roster);
    const session = this.#node.createSession(transport, pusherIdentity(null), socketId);
    const connection = new PusherConnection(this.#node, app, session, transport, roster, this.#webhooks);
    this.#connections.set(bytes, connection);
    this.#heartbeats.add(bytes);
    transport.event({
      event: 'pusher:connection_established',
      data: JSON.stringify({ socket_id: socketId, activity_timeout: ACTIVITY_TIMEOUT_S }),
    });
    ws.on('message', (data, isBinary) => {
      bytes.pingedAt = 0;
      connection.message(data, isBinary).catch((err: unknown) => connection.fail(err));
    });
    ws.on('pong', () => {
      bytes.pingedAt = 0;
    });
    ws.on('error', (err: Error) => {
      this.#node.logger.debug({ client: socketId, err: err.message }, 'pusher websocket error');
    });
    ws.on('close', () => {
      bytes.released();
      this.#connections.delete(bytes);
      this.#heartbeats.delete(bytes);
      session.closed();
      connection.closed();
    });
  }

  #dropSilent(): void {
    const { timeoutMs } = this.#node.config.heartbeat;
    const now = Date.now();
    for (const [t, connection] of this.#connections) {
      if (t.pingedAt !== 0 && now - t.pingedAt >= timeoutMs) connection.timedOut();
    }
  }
}
