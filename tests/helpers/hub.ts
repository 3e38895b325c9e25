import type { Engine } from '@switchboard/engine-kit';
import pino from 'pino';
import { DEFAULTS } from '../../packages/server/src/config/defaults.ts';
import type { Config } from '../../packages/server/src/config/types.ts';
import { type RunningServer, startServer } from '../../packages/server/src/server.ts';
import { checkExchange } from './openapi.ts';

export const TEST_API_KEY = 'test-key-0123456789';

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

function merge<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (over === undefined) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    const b = out[k];
    out[k] =
      v !== null && typeof v === 'object' && !Array.isArray(v) && typeof b === 'object'
        ? merge(b, v as never)
        : v;
  }
  return out as T;
}

export interface TestHub extends RunningServer {
  readonly wsUrl: string;
  /** POST /api/<path> with the test API key; returns status and parsed body. */
  api(
    path: string,
    body?: unknown,
    init?: { method?: string; key?: string | null; raw?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  publish(channel: string, data: unknown): Promise<{ epoch: string; offset: number }>;
}

/** A real hub on 127.0.0.1, port 0, in-memory engine, silent logs. Call `shutdown()` in `after`. */
export async function startTestHub(overrides?: DeepPartial<Config>, engine?: Engine): Promise<TestHub> {
  const testDefaults = merge(DEFAULTS, {
    server: { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 2_000 },
    api: { keys: [TEST_API_KEY] },
    log: { level: 'silent' },
  } as DeepPartial<Config>);
  const config = merge(testDefaults, overrides);
  const logger = pino({ level: process.env.SWITCHBOARD_TEST_LOG ?? config.log.level });
  const server = await startServer(config, engine === undefined ? { logger } : { logger, engine });
  const api: TestHub['api'] = async (path, body, init = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
    const key = init.key === undefined ? TEST_API_KEY : init.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    const method = init.method ?? (body === undefined && init.raw === undefined ? 'GET' : 'POST');
    const res = await fetch(`${server.url}/api/${path}`, {
      method,
      headers,
      ...(method === 'GET' || method === 'HEAD' ? {} : { body: init.raw ?? JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: the raw text is returned for the test to assert on
    }
    // Every exchange of every e2e test is checked against the OpenAPI document (a raw body is not JSON to check).
    if (init.raw === undefined && res.headers.get('content-type')?.includes('application/json'))
      checkExchange(method, `/api/${path}`, body, res.status, parsed);
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return Object.assign(Object.create(null) as object, server, {
    shutdown: server.shutdown,
    wsUrl: `${server.url.replace('http', 'ws')}/ws`,
    api,
    async publish(channel: string, data: unknown) {
      const r = await api('publish', { channel, data });
      if (r.status !== 200) throw new Error(`publish failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as { epoch: string; offset: number };
    },
  }) as TestHub;
}
