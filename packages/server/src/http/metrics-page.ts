import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Metrics } from '../observability/metrics.ts';
import { sendError } from './respond.ts';

/** Writes the Prometheus text exposition of `metrics`. */
export async function writeMetrics(res: ServerResponse, metrics: Metrics): Promise<void> {
  const text = await metrics.registry.metrics();
  res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * The second listener of `metrics.port`: `GET /metrics` without a credential (it is meant for a private
 * interface, `metrics.host`), 404 for anything else.
 */
export function createMetricsServer(metrics: Metrics): Server {
  return createServer({ headersTimeout: 10_000, requestTimeout: 10_000 }, (req, res) => {
    serve(req, res, metrics).catch(() => sendError(res, 'internal', 'internal error'));
  });
}

async function serve(req: IncomingMessage, res: ServerResponse, metrics: Metrics): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://hub.invalid').pathname;
  if (path !== '/metrics') return sendError(res, 'not_found', 'this listener serves /metrics only');
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return sendError(res, 'method_not_allowed', 'use GET', { allow: 'GET, HEAD' });
  await writeMetrics(res, metrics);
}
