import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { statusOf } from '@switchboard/protocol';
import type { SwitchboardNode } from '../core/node.ts';
import type { PusherEndpoint } from '../endpoints/pusher/endpoint.ts';
import type { SseEndpoint } from '../endpoints/sse.ts';
import type { WebSocketEndpoint } from '../endpoints/websocket.ts';
import { RefusalLog } from '../observability/refusal-log.ts';
import type { AdminApi } from './admin/api.ts';
import type { AdminKeys } from './admin/keys.ts';
import { serveAdminPage } from './admin/page.ts';
import type { Api } from './api.ts';
import { applyCors } from './cors.ts';
import type { Guard } from './guard.ts';
import { Http2Front, sniff } from './http2.ts';
import { serveInspector } from './inspector.ts';
import { writeMetrics } from './metrics-page.ts';
import type { PusherApi } from './pusher-api.ts';
import { assignRequestId, requestIdOf } from './request-id.ts';
import { rejectUpgrade, sendError, sendJson } from './respond.ts';

export interface HttpParts {
  readonly node: SwitchboardNode;
  readonly api: Api;
  readonly ws: WebSocketEndpoint;
  readonly sse: SseEndpoint;
  readonly guard: Guard;
  /** The Pusher dialect, when a Pusher app is configured. */
  readonly pusher: { readonly ws: PusherEndpoint; readonly api: PusherApi } | null;
  readonly routes?: ExtraRoutes | undefined;
  /** The certificate and key (`server.tls`, read by {@link readTls}), or null for a plain port. */
  readonly tls: TlsFiles | null;
  /** The operators' credentials, and their console's API (404 while no admin key is configured). */
  readonly admin: { readonly keys: AdminKeys; readonly api: AdminApi };
}

export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * Reads `server.tls`'s PEM files, before anything starts: null when none is configured. A file that cannot be read
 * is an error naming the option.
 */
export function readTls(tls: { readonly cert: string; readonly key: string }): TlsFiles | null {
  if (tls.cert === '') return null;
  return { cert: readPem('server.tls.cert', tls.cert), key: readPem('server.tls.key', tls.key) };
}

/** An embedder's routes: answers `req` and returns true, or returns false (the hub then answers 404). */
export type ExtraRoutes = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

/** `/app/{key}`: where pusher-js connects. */
const PUSHER_APP_PATH = /^\/app\/([A-Za-z0-9_\-.]{1,128})$/;

/** Largest request head (HTTP/1.1 headers; HTTP/2 header list). */
const MAX_HEADER_BYTES = 16 * 1024;

/** The hub's listening side: one port, HTTP/1.1 and HTTP/2, plain or TLS. */
export interface HubServer {
  /** The listening server (HTTP/1.1 over TCP, or over TLS when `server.tls` is set); it hands HTTP/2 on. */
  readonly server: Server;
  /** `https` when the port speaks TLS, else `http`. */
  readonly scheme: 'http' | 'https';
  readonly http2: Http2Front;
  /** Stops taking connections; HTTP/2 connections get GOAWAY (no new streams), idle HTTP/1.1 ones are closed. */
  close(): void;
  /** Ends every connection that is left. */
  closeAll(): void;
}

/**
 * The one HTTP server: routes requests to the inspector, SSE, the API and probes, and upgrades to WebSocket.
 * On a plain port a connection opening with the HTTP/2 preface (h2c with prior knowledge) is served over HTTP/2,
 * any other over HTTP/1.1; with `server.tls` the port speaks TLS and ALPN picks `h2` or `http/1.1`. Both take
 * the same routes; WebSocket stays on HTTP/1.1 (browsers open a separate HTTP/1.1 connection for it).
 */
export function createHttpServer(parts: HttpParts): HubServer {
  const { node, api, ws, sse, guard, pusher, routes, tls, admin } = parts;
  const { server: cfg } = node.config;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // A POST to the HTTP API gets its `X-Request-Id` in the prepared head its answer is written with (`sendJson`);
    // every other request has it set here, for whatever writes its answer.
    const id = assignRequestId(req, res, req.method !== 'POST' || !req.url?.startsWith('/api/'));
    // One listener shared by every response: an open stream keeps no closure of its own for it.
    res.on('finish', logRefusal);
    route(req, res).catch((err: unknown) => {
      node.logger.error({ err, req: id }, 'request failed');
      sendError(res, 'internal', 'internal error');
    });
  };
  const options = {
    headersTimeout: cfg.headersTimeoutMs,
    requestTimeout: cfg.requestTimeoutMs,
    // Node checks both time-outs only this often (30s by default): keep it well under the header time-out so
    // a slowloris client is cut off close to `headersTimeout`, not up to half a minute later.
    connectionsCheckingInterval: Math.max(50, Math.min(5_000, Math.floor(cfg.headersTimeoutMs / 4))),
    maxHeaderSize: MAX_HEADER_BYTES,
    // Only WebSocket upgrades leave the request path. Any other `Upgrade` header (`curl --http2` on plain http
    // sends `Upgrade: h2c`) is an offer the server may ignore (RFC 9110 §7.8): the request is served as HTTP/1.1.
    // Node reads this option from 22.21 and 24.9 on; older versions send every upgrade to the handler below.
    shouldUpgradeCallback: (req: IncomingMessage) => req.headers.upgrade?.toLowerCase() === 'websocket',
  };
  const secure = tls !== null;
  const server: Server = secure
    ? createTlsServer(
        {
          ...options,
          cert: tls.cert,
          key: tls.key,
          ALPNProtocols: ['h2', 'http/1.1'],
          handshakeTimeout: cfg.headersTimeoutMs,
        },
        onRequest,
      )
    : createServer(options, onRequest);
  // Node's compatibility API gives HTTP/2 requests the surface of HTTP/1.1's that the routes use (method, url,
  // headers, body stream; writeHead, setHeader, end); where the two differ (the SSE stream, `Connection`
  // headers) the handler asks `httpVersionMajor`.
  const h2 = new Http2Front(
    {
      maxConcurrentStreams: cfg.http2.maxConcurrentStreams,
      streamIdleMs: cfg.requestTimeoutMs,
      sessionIdleMs: cfg.requestTimeoutMs,
      maxHeaderBytes: MAX_HEADER_BYTES,
      onSessionError: (err) => {
        node.metrics.refused.inc({ reason: 'bad_http2' });
        node.logger.debug({ err }, 'HTTP/2 connection failed');
      },
    },
    onRequest as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
  );
  // The server's own connection handling, taken over: connections reach it (HTTP/1.1) or HTTP/2 through here.
  // It stays the listening server so that its header and request time-outs keep running for HTTP/1.1.
  const event = secure ? 'secureConnection' : 'connection';
  const http1 = server.listeners(event);
  if (http1.length !== 1) throw new Error(`expected one '${event}' listener on the HTTP server`);
  const toHttp1 = http1[0] as (socket: Socket) => void;
  server.removeAllListeners(event);
  if (secure) {
    server.on(event, (socket: TLSSocket) => {
      if (socket.alpnProtocol === 'h2') h2.accept(socket);
      else toHttp1.call(server, socket);
    });
  } else {
    server.on(event, (socket: Socket) => {
      sniff(socket, cfg.headersTimeoutMs, {
        http1: (s) => toHttp1.call(server, s),
        http2: (s) => h2.accept(s),
        timedOut: (s) => {
          node.metrics.refused.inc({ reason: 'request_timeout' });
          // The sniffer's listeners are gone: without one, the client's reset after this answer would be an
          // unhandled 'error' event that ends the process (a reconnect storm did exactly that).
          s.on('error', ignoreSocketError);
          s.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        },
      });
    });
  }
  // Refused requests are logged, a flood of the same refusal as one line with its count.
  const refusals = new RefusalLog(node.logger);
  function logRefusal(this: ServerResponse): void {
    if (this.statusCode >= 400 && this.statusCode < 500)
      refusals.refused(`${this.statusCode} ${this.req.method} ${routeOf(this.req.url)}`, {
        req: requestIdOf(this),
      });
  }
  server.once('close', () => refusals.stop());
  const refuseUpgrade = (
    req: IncomingMessage,
    socket: Socket,
    code: Parameters<typeof rejectUpgrade>[1],
    message: string,
    headers?: Record<string, string>,
  ): void => {
    refusals.refused(`${statusOf(code)} upgrade ${routeOf(req.url)}`, {});
    rejectUpgrade(socket, code, message, headers);
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The most frequent request of all, a publish, is routed without parsing its URL (nothing in it to normalize).
    if (req.url === '/api/publish') {
      const refusal = guard.origin(req);
      if (refusal !== null) return sendError(res, refusal.code, refusal.message);
      if (applyCors(req, res, guard.origins)) return;
      return api.handle(req, res, '/api/publish');
    }
    const url = new URL(req.url ?? '/', 'http://hub.invalid');
    const path = url.pathname;
    if (path === '/sse' || path.startsWith('/sse/') || path.startsWith('/api/')) {
      // Browser-facing endpoints: a disallowed origin is refused before anything else runs.
      const refusal = guard.origin(req);
      if (refusal !== null) return sendError(res, refusal.code, refusal.message);
      if (applyCors(req, res, guard.origins)) return;
    }
    if (path === '/sse') {
      const limited = req.method === 'GET' ? guard.rate(req) : null;
      if (limited !== null) return sendError(res, limited.code, limited.message, limited.headers);
      return sse.handle(req, res, url);
    }
    if (path === '/sse/command') return sse.commands.handle(req, res);
    if (path.startsWith('/api/')) return api.handle(req, res, path);
    // The Pusher REST API: server to server, signed; no browser origin reaches it (no CORS).
    if (pusher !== null && path.startsWith('/apps/')) return pusher.api.handle(req, res, url);
    if (path === '/ws') {
      // RFC 8441 (WebSocket over HTTP/2) is not offered: browsers open an HTTP/1.1 connection for WebSocket.
      if (req.httpVersionMajor === 2)
        return sendError(res, 'bad_request', 'WebSocket is served over HTTP/1.1 only: connect with ws(s)://');
      return sendError(res, 'bad_request', 'this endpoint speaks WebSocket: send Upgrade: websocket', {
        upgrade: 'websocket',
      });
    }
    if (path === '/healthz') return onlyGet(req, res, () => sendJson(res, 200, { status: 'ok' }));
    if (path === '/readyz') {
      return onlyGet(req, res, () => {
        const ready = !node.draining && node.engine.ready();
        sendJson(res, ready ? 200 : 503, {
          status: ready ? 'ready' : node.draining ? 'draining' : 'engine unavailable',
          engine: node.engine.name,
        });
      });
    }
    if (path === '/metrics') {
      return onlyGet(req, res, async () => {
        if (!admin.keys.mayReadMetrics(req.headers.authorization)) {
          node.metrics.refused.inc({ reason: 'unauthorized' });
          return sendError(res, 'unauthorized', 'an admin key or the metrics token is required', {
            'www-authenticate': 'Bearer',
          });
        }
        await writeMetrics(res, node.metrics);
      });
    }
    if (admin.keys.consoleEnabled) {
      if (path.startsWith('/admin/api/')) return admin.api.handle(req, res, url);
      if (serveAdminPage(req, res, path)) return;
    }
    if (cfg.inspector && serveInspector(req, res, path)) return;
    if (routes !== undefined && (await routes(req, res, url))) return;
    if (path === '/favicon.ico') {
      // Browsers ask for it on their own; an empty answer keeps their consoles free of a 404.
      res.writeHead(204, { 'cache-control': 'max-age=86400' });
      return void res.end();
    }
    sendError(res, 'not_found', 'no such endpoint');
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://hub.invalid');
    const path = url.pathname;
    const pusherKey = pusher === null ? null : (PUSHER_APP_PATH.exec(path)?.[1] ?? null);
    if (path !== '/ws' && pusherKey === null)
      return refuseUpgrade(req, socket, 'not_found', 'WebSocket connections go to /ws');
    if (req.headers.upgrade?.toLowerCase() !== 'websocket')
      return refuseUpgrade(req, socket, 'bad_request', 'only WebSocket upgrades');
    // Against cross-site WebSocket hijacking: browsers send the page's Origin on every upgrade.
    const refusal = guard.connection(req);
    if (refusal !== null) return refuseUpgrade(req, socket, refusal.code, refusal.message, refusal.headers);
    if (pusherKey !== null && pusher !== null)
      return pusher.ws.handleUpgrade(req, socket, head, pusherKey, url.searchParams);
    ws.handleUpgrade(req, socket, head, url.searchParams);
  });

  // A client that sends garbage instead of HTTP gets a 400 and the socket is closed; nothing else notices.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const status =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    node.metrics.refused.inc({
      reason: status === 408 ? 'request_timeout' : status === 431 ? 'headers_too_large' : 'bad_http',
    });
    socket.end(
      `HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
  });
  return {
    server,
    scheme: secure ? 'https' : 'http',
    http2: h2,
    close: () => {
      server.close();
      server.closeIdleConnections();
      h2.close();
    },
    closeAll: () => {
      server.closeAllConnections();
      // HTTP/1.1 event streams left the server once their head was out: the server's list no longer has them.
      sse.closeAll();
      h2.destroy();
    },
  };
}

/** A PEM file named by an option; a file that cannot be read is a start-up error naming the option. */
function readPem(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${option}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** A request's route for the refusal log: the hub's own paths as they are, every other path as `other`. */
function routeOf(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0] ?? '/';
  if (/^\/(api|admin\/api|sse)\/[a-z_.]{1,32}$/.test(path)) return path;
  if (path.startsWith('/apps/')) return '/apps/…';
  if (path.startsWith('/app/')) return '/app/…';
  return ['/', '/ws', '/sse', '/metrics', '/admin', '/healthz', '/readyz'].includes(path) ? path : 'other';
}

async function onlyGet(
  req: IncomingMessage,
  res: ServerResponse,
  then: () => void | Promise<void>,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return sendError(res, 'method_not_allowed', 'use GET', { allow: 'GET, HEAD' });
  await then();
}

/** A socket the hub has finished with (answered and ended): what goes wrong on it now concerns no one. */
function ignoreSocketError(): void {}
