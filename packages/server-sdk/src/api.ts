import type { ClientInfo, Position } from '@switchboard/protocol';
import { SwitchboardApiError } from './errors.ts';

export interface SwitchboardOptions {
  /** The hub's base URL, e.g. `https://rt.example.com`. */
  readonly url: string;
  /** An API key (`api.keys`; a publish-only key from `api.publishKeys` can publish and broadcast). */
  readonly apiKey: string;
  /** Time allowed for one attempt. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Attempts after the first on a retryable failure (no answer, 429, 5xx). Default 2. */
  readonly retries?: number;
  /** Backoff before a retry: full jitter over this base, doubling. Default 200 ms. */
  readonly backoffMs?: number;
  /** The `fetch` to use. Default: the global one. */
  readonly fetch?: typeof fetch;
}

export interface Published extends Position {
  readonly channel: string;
  /** True when the idempotency key had been used: this is the first publish's result. */
  readonly duplicate?: boolean;
}

export interface BroadcastResult {
  readonly results: ReadonlyArray<
    | (Position & { readonly channel: string })
    | { readonly channel: string; readonly error: { readonly code: string; readonly message: string } }
  >;
}

export interface HistoryPublication<T = unknown> extends Position {
  readonly data: T;
  readonly info?: ClientInfo;
}

export interface History<T = unknown> extends Position {
  readonly channel: string;
  readonly recovered?: boolean;
  readonly publications: readonly HistoryPublication<T>[];
}

export interface TicketClaims {
  readonly info?: unknown;
  readonly subscribe?: readonly string[];
  readonly publish?: readonly string[];
  readonly presence?: readonly string[];
  /** Expiry of the stream's identity, in seconds since the epoch. */
  readonly exp?: number;
}

/**
 * The hub's HTTP API, typed. Every call is retried on a retryable failure (no answer, 429, 5xx) with backoff;
 * `publish` and `broadcast` carry an idempotency key (one is made when none is given) so a retry never
 * publishes twice. Failures reject with a `SwitchboardApiError` carrying the hub's code.
 */
export class Switchboard {
  readonly #url: string;
  readonly #key: string;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: SwitchboardOptions) {
    this.#url = options.url.replace(/\/+$/, '');
    this.#key = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#retries = options.retries ?? 2;
    this.#backoffMs = options.backoffMs ?? 200;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  publish(channel: string, data: unknown, options: { idempotencyKey?: string } = {}): Promise<Published> {
    const idempotencyKey = options.idempotencyKey ?? crypto.randomUUID();
    return this.#call('POST', 'publish', { channel, data, idempotencyKey });
  }

  /**
   * Many publishes in one request (`POST /api/publish/stream`, newline-delimited JSON): one result per message, in
   * order — its position, or the `SwitchboardApiError` of that line (the others are published all the same). Each
   * message gets an idempotency key when it has none, so the retry of a failed request never publishes twice.
   */
  async publishMany(
    messages: readonly { channel: string; data: unknown; idempotencyKey?: string }[],
  ): Promise<(Published | SwitchboardApiError)[]> {
    if (messages.length === 0) return [];
    const body = messages
      .map((m) =>
        JSON.stringify({
          channel: m.channel,
          data: m.data,
          idempotencyKey: m.idempotencyKey ?? crypto.randomUUID(),
        }),
      )
      .join('\n');
    const text = await this.#call<string>('POST', 'publish/stream', body, 'application/x-ndjson');
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const answer = JSON.parse(line) as Published | { line: number; error: unknown };
        return 'error' in answer ? SwitchboardApiError.fromBody(200, answer) : answer;
      });
  }

  broadcast(
    channels: readonly string[],
    data: unknown,
    options: { idempotencyKey?: string } = {},
  ): Promise<BroadcastResult> {
    const idempotencyKey = options.idempotencyKey ?? crypto.randomUUID();
    return this.#call('POST', 'broadcast', { channels, data, idempotencyKey });
  }

  history<T = unknown>(
    channel: string,
    query: { since?: Position; limit?: number } = {},
  ): Promise<History<T>> {
    return this.#call('POST', 'history', { channel, ...query });
  }

  presence(channel: string): Promise<{ channel: string; clients: ClientInfo[] }> {
    return this.#call('POST', 'presence', { channel });
  }

  /** The channels with subscribers on the node that answers. */
  channels(): Promise<{ channels: { channel: string; subscribers: number }[] }> {
    return this.#call('GET', 'channels');
  }

  /** Ends a connection (`client`) or every connection of a `user`; rejects `not_found` when none matched. */
  disconnect(target: { client: string } | { user: string }, options: { reconnect?: boolean } = {}) {
    return this.#call<{ disconnected: number }>('POST', 'disconnect', { ...target, ...options });
  }

  /** A single-use ticket for an SSE stream (`/sse?ticket=…`), valid `auth.ticketTtl` on the node that made it. */
  ticket(user?: string, claims?: TicketClaims): Promise<{ ticket: string; expiresAt: number }> {
    return this.#call('POST', 'tickets', {
      ...(user === undefined ? {} : { user }),
      ...(claims === undefined ? {} : { claims }),
    });
  }

  async #call<T>(method: 'GET' | 'POST', path: string, body?: object | string, type?: string): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#once<T>(method, path, body, type);
      } catch (err) {
        if (!(err instanceof SwitchboardApiError) || !err.retryable || attempt >= this.#retries) throw err;
        await sleep(Math.random() * this.#backoffMs * 2 ** attempt);
      }
    }
  }

  /** One attempt. A string body is sent as it is, with `type`, and the answer returned as text. */
  async #once<T>(method: 'GET' | 'POST', path: string, body?: object | string, type?: string): Promise<T> {
    let res: Response;
    const raw = typeof body === 'string';
    try {
      res = await this.#fetch(`${this.#url}/api/${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#key}`,
          ...(body === undefined ? {} : { 'content-type': type ?? 'application/json' }),
        },
        ...(body === undefined ? {} : { body: raw ? body : JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw new SwitchboardApiError(
        timedOut ? 'timeout' : 'network',
        0,
        timedOut ? `no answer within ${this.#timeoutMs} ms` : 'the hub could not be reached',
        { cause: err },
      );
    }
    const text = await res.text();
    if (raw && res.ok) return text as T;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (!res.ok) throw SwitchboardApiError.fromBody(res.status, parsed);
    return parsed as T;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
