import type { WebhookEvent, WebhookPayload } from '@switchboard/protocol';

export type { WebhookEvent, WebhookPayload };

/** A webhook whose signature, age or body is refused; `reason` says which (never logged with the secret). */
export class WebhookVerificationError extends Error {
  readonly reason: 'malformed_header' | 'stale' | 'bad_signature' | 'malformed_body';

  constructor(reason: WebhookVerificationError['reason'], message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

export interface VerifyOptions {
  /** The hub's `webhooks.secret`. */
  readonly secret: string;
  /** Largest difference between the signature's `t` and now. Default 300 s. */
  readonly toleranceSeconds?: number;
  /** Now, in seconds since the epoch (tests). Default: the clock. */
  readonly nowSeconds?: number;
}

/**
 * Checks a webhook request: `header` is its `Switchboard-Signature` (`t=<unix seconds>,v1=<hex>`), `rawBody` its
 * body exactly as received. Resolves with the parsed payload, or rejects with a `WebhookVerificationError` when
 * the signature is not the secret's HMAC-SHA256 of `<t>.<body>`, or `t` is stale. Web Crypto only: runs in Node,
 * Deno, Bun and edge runtimes.
 */
export async function verifyWebhook(
  rawBody: string,
  header: string | null | undefined,
  options: VerifyOptions,
): Promise<WebhookPayload> {
  const fields = new Map<string, string>();
  for (const part of (header ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const t = Number(fields.get('t'));
  const v1 = fields.get('v1') ?? '';
  if (!Number.isSafeInteger(t) || !/^[0-9a-f]{64}$/.test(v1))
    throw new WebhookVerificationError(
      'malformed_header',
      'the signature header is not t=<seconds>,v1=<hex>',
    );
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300))
    throw new WebhookVerificationError('stale', 'the signature is too old (or from the future)');
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(options.secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const signature = new Uint8Array(v1.match(/../g)!.map((h) => Number.parseInt(h, 16)));
  // `verify` compares in constant time.
  const valid = await crypto.subtle.verify('HMAC', key, signature, encoder.encode(`${t}.${rawBody}`));
  if (!valid) throw new WebhookVerificationError('bad_signature', 'the signature does not match');
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new WebhookVerificationError('malformed_body', 'the body is not JSON');
  }
  const p = body as Partial<WebhookPayload> | null;
  if (typeof p?.id !== 'string' || typeof p.time_ms !== 'number' || !Array.isArray(p.events))
    throw new WebhookVerificationError('malformed_body', 'the body is not {id, time_ms, events}');
  return p as WebhookPayload;
}
