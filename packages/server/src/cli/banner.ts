import { redactUrl } from '../config/leaves.ts';
import { pusherAppsOf } from '../config/pusher-apps.ts';
import type { Config } from '../config/types.ts';
import { authConfigured } from '../core/channel-options.ts';

/** What the banner needs of a running server. */
export interface Listening {
  readonly port: number;
  readonly host: string;
  readonly generatedApiKey: string | null;
}

/** A host as it goes in a URL people can click: wildcards become `localhost`, IPv6 gets brackets. */
export function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** The human start-up message (stderr): where everything is, and the API key if one was generated. */
export function banner(server: Listening, config: Config): string {
  const base = `${displayHost(server.host)}:${server.port}`;
  // With a certificate the port speaks TLS only (HTTP/2 by ALPN for SSE and the API).
  const tls = config.server.tls.cert !== '';
  const http = tls ? 'https' : 'http';
  const ws = tls ? 'wss' : 'ws';
  const lines = [
    `Switchboard is up (engine: ${redactUrl(config.engine.url)}${tls ? ', TLS with HTTP/2' : ''})`,
    `  inspector  ${config.server.inspector ? `${http}://${base}/` : 'off'}`,
    `  WebSocket  ${ws}://${base}/ws`,
    `  SSE        ${http}://${base}/sse?channel=<name>`,
    `  HTTP API   ${http}://${base}/api/publish  (Authorization: Bearer <key>)`,
  ];
  if (config.admin.keys.length > 0) lines.push(`  console    ${http}://${base}/admin  (an admin key)`);
  const metricsAt =
    config.metrics.port === 0
      ? `${http}://${base}/metrics${config.admin.keys.length > 0 || config.metrics.token !== '' ? '  (an admin key or the metrics token)' : ''}`
      : // The metrics listener is plain HTTP even when the hub port speaks TLS (a scraper on a private network).
        `http://${displayHost(config.metrics.host)}:${config.metrics.port}/metrics`;
  lines.push(`  metrics    ${metricsAt}`);
  const apps = pusherAppsOf(config);
  if (apps.length > 0)
    lines.push(
      `  Pusher     ${ws}://${base}/app/<key>, ${http}://${base}/apps/<id>  (${apps.length === 1 ? '1 app' : `${apps.length} apps`})`,
    );
  if (server.generatedApiKey !== null)
    lines.push(
      `  API key    ${server.generatedApiKey}  (generated for this run; set SWITCHBOARD_API_KEY to keep your own)`,
    );
  lines.push(...securityWarnings(config));
  return `${lines.join('\n')}\n`;
}

/** Loud lines for the open defaults, so nobody runs them in production by accident (docs/security.md). */
export function securityWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (!authConfigured(config))
    warnings.push(
      '  WARNING    no auth configured: every client is anonymous and may subscribe to any channel (see docs/security.md)',
    );
  if (config.server.allowedOrigins.includes('*'))
    warnings.push(
      '  WARNING    server.allowedOrigins is "*": pages on any site may connect (set it for production)',
    );
  return warnings;
}
