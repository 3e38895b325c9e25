import type { HookName } from '@switchboard/protocol';
import { MAX_HOOK_MESSAGE_LENGTH } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { SwitchboardError } from '../errors.ts';
import { CircuitBreaker } from './breaker.ts';
import type { HookMetrics, HookOutcome } from './metrics.ts';

/** Largest hook response body read; a larger one is a backend failure. */
export const MAX_HOOK_RESPONSE_BYTES = 1024 * 1024;

/** One hook endpoint: its breaker and its calls in flight. */
interface Endpoint {
  readonly breaker: CircuitBreaker;
  inFlight: number;
}

/**
 * POSTs hook requests to the app backend and turns the answers into results or coded errors. Fail-closed: a
 * backend that fails, times out, is overloaded (`proxy.maxConcurrency` calls in flight) or whose breaker is open
 * never lets an action through; the caller gets `backend_unavailable` or `backend_timeout` (retryable), a refusal
 * gets `forbidden` with the backend's message.
 */
export class HookCaller {
  readonly #config: Config['proxy'];
  readonly #metrics: HookMetrics;
  readonly #logger: Logger;
  readonly #endpoints = new Map<string, Endpoint>();

  constructor(config: Config['proxy'], metrics: HookMetrics, logger: Logger) {
    this.#config = config;
    this.#metrics = metrics;
    this.#logger = logger;
  }

  /** Whether each hook's breaker is open, by hook name (for the metrics). */
  openBreakers(): Map<string, boolean> {
    const open = new Map<string, boolean>();
    for (const [key, e] of this.#endpoints) {
      const hook = key.slice(0, key.indexOf(' '));
      open.set(hook, (open.get(hook) ?? false) || e.breaker.open);
    }
    return open;
  }

  /**
   * Calls `hook` at `url` with `body` (and the connection's forwarded `headers`); resolves with the answer's
   * `result` object, or rejects with a coded `SwitchboardError`.
   */
  async call(
    hook: HookName,
    url: string,
    body: object,
    headers: Readonly<Record<string, string>>,
  ): Promise<Record<string, unknown>> {
    const endpoint = this.#endpoint(hook, url);
    const count = (outcome: HookOutcome) => this.#metrics.calls.inc({ hook, outcome });
    if (!endpoint.breaker.admit()) {
      count('breaker_open');
      throw new SwitchboardError('backend_unavailable', `the ${hook} hook is failing; retry later`);
    }
    if (endpoint.inFlight >= this.#config.maxConcurrency) {
      // Not the backend's failure: the breaker is left as it was (a trial admitted above is given back).
      endpoint.breaker.released();
      count('overloaded');
      throw new SwitchboardError('backend_unavailable', `the ${hook} hook is overloaded; retry later`);
    }
    endpoint.inFlight++;
    const started = performance.now();
    try {
      const answer = await this.#post(url, body, headers);
      this.#metrics.duration.observe({ hook }, (performance.now() - started) / 1000);
      endpoint.breaker.succeeded();
      if ('error' in answer) {
        count('denied');
        throw new SwitchboardError('forbidden', answer.error);
      }
      count('allowed');
      return answer.result;
    } catch (err) {
      if (err instanceof SwitchboardError && err.code === 'forbidden') throw err;
      endpoint.breaker.failed();
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      count(timedOut ? 'timeout' : 'failed');
      this.#logger.warn(
        { hook, url, err: err instanceof Error ? err.message : String(err) },
        timedOut ? 'proxy hook timed out' : 'proxy hook failed',
      );
      if (timedOut)
        throw new SwitchboardError('backend_timeout', `the ${hook} hook did not answer in time; retry later`);
      throw new SwitchboardError('backend_unavailable', `the ${hook} hook failed; retry later`);
    } finally {
      endpoint.inFlight--;
    }
  }

  #endpoint(hook: HookName, url: string): Endpoint {
    const key = `${hook} ${url}`;
    let e = this.#endpoints.get(key);
    if (e === undefined) {
      e = {
        breaker: new CircuitBreaker(this.#config.breakerFailures, this.#config.breakerCooldownMs),
        inFlight: 0,
      };
      this.#endpoints.set(key, e);
    }
    return e;
  }

  async #post(
    url: string,
    body: object,
    headers: Readonly<Record<string, string>>,
  ): Promise<{ result: Record<string, unknown> } | { error: string }> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      redirect: 'error',
      signal: AbortSignal.timeout(this.#config.timeoutMs),
    });
    const text = await readBounded(res);
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    return parseAnswer(text);
  }
}

/** The body of `res` as text, refusing (and abandoning) one over MAX_HOOK_RESPONSE_BYTES. */
async function readBounded(res: Response): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_HOOK_RESPONSE_BYTES) {
      await reader.cancel();
      throw new Error(`response larger than ${MAX_HOOK_RESPONSE_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `{"result": {…}}` or `{"error": {"message"?}}`; anything else throws (a backend failure). */
export function parseAnswer(text: string): { result: Record<string, unknown> } | { error: string } {
  const body = JSON.parse(text) as unknown;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new Error('the answer is not a JSON object');
  const { result, error } = body as { result?: unknown; error?: unknown };
  if (error !== undefined && error !== null) {
    const message =
      typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string'
        ? (error as { message: string }).message
        : '';
    const clean = message.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, MAX_HOOK_MESSAGE_LENGTH);
    return { error: clean === '' ? 'refused by the application' : clean };
  }
  if (typeof result === 'object' && result !== null && !Array.isArray(result))
    return { result: result as Record<string, unknown> };
  throw new Error('the answer has neither "result" (an object) nor "error"');
}
