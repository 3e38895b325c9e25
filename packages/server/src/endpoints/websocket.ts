import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import {
  BINARY_SUBPROTOCOL,
  type CommandLimits,
  negotiateWire,
  type ParseResult,
  PROTOCOL_VERSION,
  parseBinaryCommand,
  parseCommand,
  WIRE_PARAM,
} from '@switchboard/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { ANONYMOUS, type Identity } from '../auth/types.ts';
import type { SwitchboardNode } from '../core/node.ts';
import type { Session } from '../core/session.ts';
import { disconnectFor, toSwitchboardError } from '../errors.ts';
import { rejectUpgrade } from '../http/respond.ts';
import { forwardedHeaders } from '../proxy/hooks.ts';
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
      // `switchboard.binary` when offered (publications of bytes then come as binary frames); otherwise the
      // first protocol offered, as `ws` picks without this, so clients that name a protocol of their own still
      // connect.
      handleProtocols: (offered) =>
        offered.has(BINARY_SUBPROTOCOL) ? BINARY_SUBPROTOCOL : (offered.values().next().value ?? false),
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

  /**
   * Called by the HTTP server for `GET /ws` with `Upgrade: websocket`. Refusals happen before the upgrade.
   * `params` is the URL's query: `wire=2` asks for compact message frames (served unless `server.compactFrames`
   * is off); any other parameter or value is ignored.
   */
  handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, params?: URLSearchParams): void {
    if (this.#node.draining) return rejectUpgrade(socket, 'shutting_down', 'the hub is shutting down');
    if (!this.#node.hasRoom()) {
      this.#node.metrics.refused.inc({ reason: 'too_many_connections' });
      return rejectUpgrade(socket, 'too_many_connections', 'the hub is at its connection limit');
    }
    const headers = forwardedHeaders(this.#node.config.proxy.headers, req.headers);
    const compact =
      this.#node.config.server.compactFrames && negotiateWire(params?.get(WIRE_PARAM) ?? null) === 2;
    // The `101` and the `connected` frame in one write (one system call, one read for the client) instead of
    // two: the socket holds what is written to it until the turn's coalesced writes have been flushed (the
    // `connected` frame scheduled that flush during `handleUpgrade`, so it runs before the immediate below). A
    // refused upgrade ends the socket, which writes what it holds at once.
    socket.cork();
    try {
      this.#handleUpgrade(req, socket, head, headers, compact);
    } finally {
      setImmediate(uncork, socket);
    }
  }

  #handleUpgrade(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    headers: Readonly<Record<string, string>>,
    compact: boolean,
  ): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const transport = new WebSocketTransport(
        ws,
        socket,
        {
          maxBytes: this.#node.config.limits.maxOutgoingBytes,
          maxMs: this.#node.config.limits.maxOutgoingMs,
          budget: this.#node.outgoing,
        },
        () => session?.disconnect(disconnectFor('slow_consumer')),
        this.#node.metrics.bytesWritten.ws,
        ws.protocol === BINARY_SUBPROTOCOL,
        compact,
      );
      let session: Session | undefined;
      if (!this.#node.hooks.connects) {
        session = this.#open(ws, transport, ANONYMOUS, randomUUID(), headers);
        return;
      }
      // The connect hook decides who the connection is before anything else happens on it: incoming frames
      // wait (the socket is paused) until it answered.
      ws.pause();
      const id = randomUUID();
      const context = { client: id, transport: 'websocket' as const, user: null, headers };
      this.#node.hooks.connect(context, ANONYMOUS).then(
        (identity) => {
          // Gone while the hook was asked: no session ever held it, so it leaves the hub-wide budget here.
          if (ws.readyState !== ws.OPEN) return transport.released();
          session = this.#open(ws, transport, identity, id, headers);
          ws.resume();
        },
        (err: unknown) => {
          const e = toSwitchboardError(err);
          this.#node.metrics.refused.inc({ reason: e.code });
          // Read again, so the close handshake completes (frames sent meanwhile have no session to go to).
          ws.resume();
          transport.send({ type: 'error', code: e.code, message: e.message });
          transport.close(disconnectFor(e.code === 'forbidden' ? 'forbidden' : 'backend_unavailable'));
          transport.released();
        },
      );
    });
  }

  /** The session of an upgraded connection, once it is known who it is. */
  #open(
    ws: WebSocket,
    transport: WebSocketTransport,
    identity: Identity,
    id: string,
    headers: Readonly<Record<string, string>>,
  ): Session {
    const session = this.#node.createSession(transport, identity, id, headers);
    this.#transports.set(transport, session);
    this.#heartbeats.add(transport);
    transport.send({
      type: 'connected',
      client: session.id,
      version: PROTOCOL_VERSION,
      transport: 'websocket',
      user: session.user,
      heartbeat: this.#node.config.heartbeat.intervalMs,
      ...(transport.compact ? { wire: 2 as const } : {}),
    });
    ws.on('message', (data, isBinary) => {
      transport.pingedAt = 0;
      // Every frame is metered before it is read, so unreadable ones cost the connection's budget too.
      if (!session.admit()) return;
      // A binary frame is a publish envelope (docs/protocol.md, "Binary data"), on any connection.
      const parsed: ParseResult = isBinary
        ? parseBinaryCommand(asBytes(data), this.#limits)
        : parseCommand(String(data), this.#limits);
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
    return session;
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

/** A message's bytes as `ws` hands them over (one Buffer, with the default `binaryType`). */
function asBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/** Ends the cork of an upgrade: the socket writes what it holds (one `writev`). */
function uncork(socket: Socket): void {
  socket.uncork();
}
