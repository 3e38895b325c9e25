import type { Registry } from '@prometheus-io/client';
import type { Logger } from 'pino';
import { claimsIdentity } from '../auth/claims.ts';
import type { Identity } from '../auth/types.ts';
import type { Config } from '../config/types.ts';
import { SwitchboardError } from '../errors.ts';
import { HookCaller } from './caller.ts';
import { HookMetrics } from './metrics.ts';

/** The connection a hook is asked about. */
export interface HookContext {
  readonly client: string;
  readonly transport: 'websocket' | 'sse';
  readonly user: string | null;
  /** The request headers `proxy.headers` forwards, captured when the connection opened. */
  readonly headers: Readonly<Record<string, string>>;
}

/** What the session and the endpoints ask of the app backend. Every method rejects with a coded error. */
export interface Hooks {
  /** Whether a connect hook is configured. */
  readonly connects: boolean;
  /** Whether a refresh hook is configured. */
  readonly refreshes: boolean;
  /** Who the connection is; `current` is its identity so far (a token's, or anonymous). */
  connect(ctx: HookContext, current: Identity): Promise<Identity>;
  /** The connection's identity with its life extended. */
  refresh(ctx: HookContext, current: Identity): Promise<Identity>;
  /** Allowed (with presence info for the channel, if the backend gave some), or rejects. */
  subscribe(ctx: HookContext, url: string, channel: string): Promise<{ info?: unknown }>;
  /** Allowed, with the data to publish: the client's, or the backend's replacement. */
  publish(ctx: HookContext, url: string, channel: string, data: unknown): Promise<unknown>;
  /** The backend's answer to an rpc. */
  rpc(ctx: HookContext, url: string, method: string, data: unknown): Promise<unknown>;
}

function base(ctx: HookContext, hook: string): Record<string, unknown> {
  return { hook, client: ctx.client, transport: ctx.transport, user: ctx.user };
}

const BAD_RESULT = (hook: string) =>
  new SwitchboardError('backend_unavailable', `the ${hook} hook answered a result the hub cannot use`);

/** The hooks of one hub, over one caller (its breakers, its concurrency bounds, its metrics). */
export class ProxyHooks implements Hooks {
  readonly #config: Config['proxy'];
  readonly #caller: HookCaller;
  readonly #logger: Logger;

  constructor(config: Config['proxy'], registry: Registry, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
    const metrics = new HookMetrics(registry, () => this.#caller.openBreakers());
    this.#caller = new HookCaller(config, metrics, logger);
  }

  get connects(): boolean {
    return this.#config.connect !== '';
  }

  get refreshes(): boolean {
    return this.#config.refresh !== '';
  }

  async connect(ctx: HookContext, current: Identity): Promise<Identity> {
    const result = await this.#caller.call(
      'connect',
      this.#config.connect,
      base(ctx, 'connect'),
      ctx.headers,
    );
    const { user, expiresAt, ...rest } = result;
    if (expiresAt !== undefined && !isFutureTime(expiresAt)) throw this.#bad('connect', 'expiresAt');
    const identity = claimsIdentity(
      { ...rest, sub: user },
      typeof expiresAt === 'number' ? expiresAt : current.expiresAt,
    );
    if (identity === null || typeof user !== 'string') throw this.#bad('connect', 'user or claims');
    return identity;
  }

  async refresh(ctx: HookContext, current: Identity): Promise<Identity> {
    const result = await this.#caller.call(
      'refresh',
      this.#config.refresh,
      base(ctx, 'refresh'),
      ctx.headers,
    );
    if (!isFutureTime(result.expiresAt)) throw this.#bad('refresh', 'expiresAt');
    if (result.info === undefined) return { ...current, expiresAt: result.expiresAt };
    const json = JSON.stringify(result.info);
    if (json === undefined || Buffer.byteLength(json) > 2_048) throw this.#bad('refresh', 'info');
    return { ...current, expiresAt: result.expiresAt, info: result.info };
  }

  async subscribe(ctx: HookContext, url: string, channel: string): Promise<{ info?: unknown }> {
    const result = await this.#caller.call(
      'subscribe',
      url,
      { ...base(ctx, 'subscribe'), channel },
      ctx.headers,
    );
    return result.info === undefined ? {} : { info: result.info };
  }

  async publish(ctx: HookContext, url: string, channel: string, data: unknown): Promise<unknown> {
    const result = await this.#caller.call(
      'publish',
      url,
      { ...base(ctx, 'publish'), channel, data },
      ctx.headers,
    );
    return Object.hasOwn(result, 'data') ? result.data : data;
  }

  async rpc(ctx: HookContext, url: string, method: string, data: unknown): Promise<unknown> {
    const result = await this.#caller.call('rpc', url, { ...base(ctx, 'rpc'), method, data }, ctx.headers);
    return result.data ?? null;
  }

  #bad(hook: string, what: string): SwitchboardError {
    this.#logger.warn({ hook, field: what }, 'proxy hook answered an unusable result');
    return BAD_RESULT(hook);
  }
}

function isFutureTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > Date.now();
}

/** The headers of a client's request that `proxy.headers` forwards. */
export function forwardedHeaders(
  names: readonly string[],
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value)) out[name] = value.join(', ');
  }
  return out;
}
