import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Engine } from '@switchboard/engine-kit';
import type { Logger } from 'pino';
import { createAuthenticator } from './auth/index.ts';
import { TicketStore } from './auth/tickets.ts';
import { pusherAppsOf } from './config/pusher-apps.ts';
import type { Config } from './config/types.ts';
import { SwitchboardNode } from './core/node.ts';
import { PusherEndpoint } from './endpoints/pusher/endpoint.ts';
import { SseEndpoint } from './endpoints/sse.ts';
import { WebSocketEndpoint } from './endpoints/websocket.ts';
import { createEngine } from './engine/create.ts';
import { disconnectFor } from './errors.ts';
import { AdminApi } from './http/admin/api.ts';
import { AdminKeys } from './http/admin/keys.ts';
import { Api } from './http/api.ts';
import { Guard } from './http/guard.ts';
import { createMetricsServer } from './http/metrics-page.ts';
import { PusherApi } from './http/pusher-api.ts';
import { createHttpServer, type ExtraRoutes, readTls } from './http/server.ts';
import { Metrics } from './observability/metrics.ts';
import { ProxyHooks } from './proxy/hooks.ts';
import { WebhookSender } from './webhooks/sender.ts';

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8080` (`https://…` when `server.tls` is set). */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The `metrics.port` listener's base URL (`http://127.0.0.1:9090`), or null when there is none. */
  readonly metricsUrl: string | null;
  /** The API key made at start-up when none was configured, else null. */
  readonly generatedApiKey: string | null;
  readonly node: SwitchboardNode;
  /**
   * Stops taking connections, tells every client to reconnect (WebSocket close 4000, SSE `disconnect` event with
   * a `retry:` hint), waits up to `server.shutdownTimeoutMs` for them to go, then closes what is left. Idempotent.
   */
  shutdown(reason?: string): Promise<void>;
}

export interface StartOptions {
  readonly logger: Logger;
  /** An engine built by the caller (embedding, tests with several nodes over one backend); else from `engine.url`. */
  readonly engine?: Engine;
  /**
   * An embedding application's own routes on the hub's port (pages, a backend's endpoints). Called for every HTTP
   * request the hub does not serve itself (its endpoints, probes and inspector come first, and WebSocket upgrades
   * are the hub's alone), before the 404; it answers and returns true, or returns false to leave the 404. Default:
   * none.
   */
  readonly routes?: ExtraRoutes;
}

export async function startServer(config: Config, options: StartOptions): Promise<RunningServer> {
  const { logger } = options;
  // A hub with no key at all gets one full-control key, printed at start-up; publish-only keys alone are enough.
  const generatedApiKey =
    config.api.keys.length === 0 && config.api.publishKeys.length === 0
      ? randomBytes(24).toString('base64url')
      : null;
  const apiKeys = generatedApiKey === null ? config.api.keys : [generatedApiKey];

  const tls = readTls(config.server.tls);
  const engine = options.engine ?? (await createEngine(config.engine.url, logger));
  let ws: WebSocketEndpoint | undefined;
  let sse: SseEndpoint | undefined;
  let pusher: PusherEndpoint | null = null;
  const metrics = new Metrics({
    connections: () => ({ websocket: (ws?.count ?? 0) + (pusher?.count ?? 0), sse: sse?.count ?? 0 }),
    channels: () => node.hub.channelCount,
    outgoingBytes: () => node.outgoingBytes(),
  });
  const authenticator = createAuthenticator(config, logger);
  const hooks = new ProxyHooks(config.proxy, metrics.registry, logger);
  const webhooks =
    config.webhooks.url === '' ? undefined : new WebhookSender(config.webhooks, metrics.registry, logger);
  const node = new SwitchboardNode({
    engine,
    config,
    logger,
    metrics,
    authenticator,
    hooks,
    ...(webhooks === undefined ? {} : { webhooks }),
  });
  const tickets = new TicketStore(config.auth.ticketTtlMs);
  const guard = new Guard(config, metrics);
  ws = new WebSocketEndpoint(node);
  sse = new SseEndpoint(node, tickets);
  const api = new Api(node, { admin: apiKeys, publish: config.api.publishKeys }, tickets);
  // The Pusher dialect is live when an app is configured: its WebSocket endpoint and its REST API.
  const pusherParts =
    pusherAppsOf(config).length === 0 ? null : { ws: new PusherEndpoint(node), api: new PusherApi(node) };
  pusher = pusherParts?.ws ?? null;
  await node.start();
  ws.start();
  pusher?.start();
  sse.start();
  guard.start();

  const adminKeys = new AdminKeys(config.admin.keys, config.metrics.token);
  const admin = { keys: adminKeys, api: new AdminApi(node, adminKeys, tickets, engine.presence) };
  admin.api.start();
  const hub = createHttpServer({
    node,
    api,
    ws,
    sse,
    guard,
    pusher: pusherParts,
    routes: options.routes,
    tls,
    admin,
  });
  const http = hub.server;
  const tlsOn = hub.scheme === 'https';
  const address = await listen(http, config.server.port, config.server.host);
  logger.info(
    { host: address.address, port: address.port, engine: engine.name, tls: tlsOn },
    'switchboard listening',
  );
  const metricsHttp = config.metrics.port === 0 ? null : createMetricsServer(metrics);
  const metricsAddress =
    metricsHttp === null ? null : await listen(metricsHttp, config.metrics.port, config.metrics.host);
  if (metricsAddress !== null)
    logger.info({ host: metricsAddress.address, port: metricsAddress.port }, 'metrics listening');
  if (!adminKeys.metricsProtected)
    logger.info('/metrics is open on the hub port: set admin.keys or metrics.token to protect it');

  let stopping: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown'): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason, connections: node.connectionCount }, 'draining');
      // Still listening while connections drain: /readyz answers 503 (load balancers take the node out) and new
      // upgrades and streams are refused with 503 `shutting_down`, instead of connections being refused.
      http.closeIdleConnections();
      metricsHttp?.close();
      metricsHttp?.closeAllConnections();
      node.drain(disconnectFor('shutdown'));
      const deadline = Date.now() + config.server.shutdownTimeoutMs;
      while ((ws?.count ?? 0) + (sse?.count ?? 0) + (pusher?.count ?? 0) > 0 && Date.now() < deadline)
        await sleep(25);
      hub.close();
      ws?.stop();
      pusher?.stop();
      sse?.stop();
      guard.stop();
      api.stop();
      await admin.api.stop();
      hub.closeAll();
      await node.close();
      webhooks?.close();
      logger.info('stopped');
    })();
    return stopping;
  };

  return {
    url: baseUrl(address, hub.scheme),
    metricsUrl: metricsAddress === null ? null : baseUrl(metricsAddress, 'http'),
    port: address.port,
    host: address.address,
    generatedApiKey,
    node,
    shutdown,
  };
}

/**
 * The listening socket's accept queue. Node's default (511) overflows in a connection storm whenever one turn of
 * the event loop takes longer than the queue lasts: the kernel then drops the SYNs it has no room for, and each
 * such client waits a full SYN retransmit (1 s) before its connection is even seen. The kernel caps the value at
 * `net.core.somaxconn` (4096 on current Linux).
 */
export const LISTEN_BACKLOG = 4096;

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function baseUrl(address: AddressInfo, scheme: 'http' | 'https'): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
