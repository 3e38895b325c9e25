import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { type CommandLimits, PROTOCOL_VERSION, parseCommand } from '@switchboard/protocol';
import { WebSocketServer } from 'ws';
import type { SwitchboardNode } from '../core/node.ts';
import type { Session } from '../core/session.ts';
import { disconnectFor } from '../errors.ts';
import { rejectUpgrade } from '../http/respond.ts';
import { HeartbeatWheel } from '../transport/heartbeat.ts';
import { WebSocketTransport } from '../transport/websocket.ts';
import { encodeTextFrame } from '../transport/ws-frame.ts';

/**
 * One heartbeat, one write: a control ping (answered by every conformant client with a pong) and a `ping` text
 * frame an application can see, as the bytes of two whole frames.
 */
const HEARTBEAT = Buffer.concat([Buffer.from([0x89, 0x00]), encodeTextFrame('{"type":"ping"}')]);

/**
 * Accepts WebSocket upgrades at `/ws` (through our HTTP server: `ws` runs without a server of its own), admits
 * them (draining, the connection limit: refused before the upgrade), turns incoming text frames into session
 * commands answered on the connection, and keeps connections alive with heartbeats.
 */
export class WebSocketEndpoint {
  readonly #node: SwitchboardNode;
  readonly #wss: WebSocketServer;
  readonly #transports = new Map<WebSocketTransport, Session>();
  readonly #limits: CommandLimits;
  readonly #heartbeats: HeartbeatWheel<WebSocketTransport>;

  constructor(node: SwitchboardNode) {
    this.#node = node;
    const { limits } = node.config;
    this.#limits = {
      maxChannelLength: limits.maxChannelLength,
      maxHistoryLimit: limits.maxHistoryLimit,
      maxJsonDepth: limits.maxJsonDepth,
    };
    this.#heartbeats = new HeartbeatWheel(
      node.config.heartbeat.intervalMs,
      (t) => t.heartbeat(HEARTBEAT),
      () => this.#dropSilent(),
    );
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Off by default: inflating costs memory and CPU per message. When on, `maxPayload` bounds the inflated
      // size (a compression bomb is cut off at maxFrameBytes with close 1009), no context is kept between
      // messages, and the hub never compresses what it sends (it writes pre-built frames itself).
      perMessageDeflate: node.config.server.perMessageDeflate
        ? {
            threshold: Number.POSITIVE_INFINITY,
            serverNoContextTakeover: true,
            clientNoContextTakeover: true,
            serverMaxWindowBits: 10,
            concurrencyLimit: 4,
          }
        : false,
      maxPayload: limits.maxFrameBytes,
    });
  }

  get count(): number {
    return this.#transports.size;
  }

  start(): void {
    this.#heartbeats.start();
  }

  /**
   * Ends the endpoint at the end of a drain: any connection still open (a peer that never answered the 4000
   * close; `ws` would wait 30 s for it) is cut now, since upgraded sockets are no longer the HTTP server's to
   * close.
   */
  stop(): void {
    this.#heartbeats.stop();
    for (const t of this.#transports.keys()) t.terminate();
  }

  /** Called by the HTTP server for `GET /ws` with `Upgrade: websocket`. Refusals happen before the upgrade. */
  handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    if (this.#node.draining) return rejectUpgrade(socket, 'shutting_down', 'the hub is shutting down');
    if (!this.#node.hasRoom()) {
      this.#node.metrics.refused.inc({ reason: 'too_many_connections' });
      return rejectUpgrade(socket, 'too_many_connections', 'the hub is at its connection limit');
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const transport = new WebSocketTransport(
        ws,
        socket,
        {
          maxBytes: this.#node.config.limits.maxOutgoingBytes,
          maxMs: this.#node.config.limits.maxOutgoingMs,
          budget: this.#node.outgoing,
        },
        () => session.disconnect(disconnectFor('slow_consumer')),
        this.#node.metrics.bytesWritten.ws,
      );
      const session = this.#node.createSession(transport);
      this.#transports.set(transport, session);
      this.#heartbeats.add(transport);
      transport.send({
        type: 'connected',
        client: session.id,
        version: PROTOCOL_VERSION,
        transport: 'websocket',
        user: null,
        heartbeat: this.#node.config.heartbeat.intervalMs,
      });
      ws.on('message', (data, isBinary) => {
        transport.pingedAt = 0;
        // Every frame is metered before it is read, so unreadable ones cost the connection's budget too.
        if (!session.admit()) return;
        if (isBinary)
          return session.unreadable({
            code: 'bad_request',
            message: 'binary frames are not accepted; send JSON text',
          });
        const parsed = parseCommand(String(data), this.#limits);
        if (!parsed.ok) return session.unreadable(parsed.error);
        session.handle(parsed.command, session.connection).catch((err: unknown) => {
          this.#node.logFailure('command failed', err, { client: session.id });
          session.disconnect(disconnectFor('server_error'));
        });
      });
      ws.on('pong', () => {
        transport.pingedAt = 0;
      });
      // `ws` reports protocol errors (invalid UTF-8: 1007, oversize frame: 1009) and closes the socket itself.
      ws.on('error', (err: Error & { code?: string }) => {
        if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
          this.#node.metrics.refused.inc({ reason: 'payload_too_large' });
        this.#node.logger.debug({ client: session.id, err: err.message }, 'websocket error');
      });
      ws.on('close', () => {
        transport.released();
        this.#transports.delete(transport);
        this.#heartbeats.delete(transport);
        session.closed();
      });
    });
  }

  #dropSilent(): void {
    const { timeoutMs } = this.#node.config.heartbeat;
    const now = Date.now();
    for (const [t, session] of this.#transports) {
      if (t.pingedAt !== 0 && now - t.pingedAt >= timeoutMs)
        session.disconnect(disconnectFor('heartbeat_timeout'));
    }
  }
}
