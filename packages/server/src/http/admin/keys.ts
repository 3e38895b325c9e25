import { timingSafeEqual } from 'node:crypto';

/** What a presented credential may do: the console and `/metrics` (an admin key), or `/metrics` alone. */
export type AdminScope = 'admin' | 'metrics';

/**
 * The operators' credentials: admin keys (`admin.keys`) and the metrics token (`metrics.token`). Compared in
 * constant time against every one of them, so the timing of a refusal says nothing about which came close.
 */
export class AdminKeys {
  readonly #keys: { readonly key: Buffer; readonly scope: AdminScope }[];

  constructor(adminKeys: readonly string[], metricsToken: string) {
    this.#keys = [
      ...adminKeys.map((k) => ({ key: Buffer.from(k), scope: 'admin' as const })),
      ...(metricsToken === '' ? [] : [{ key: Buffer.from(metricsToken), scope: 'metrics' as const }]),
    ];
  }

  /** An admin key is configured: the console and its API exist. */
  get consoleEnabled(): boolean {
    return this.#keys.some((k) => k.scope === 'admin');
  }

  /** `/metrics` on the hub's port needs a credential (an admin key or the metrics token is configured). */
  get metricsProtected(): boolean {
    return this.#keys.length > 0;
  }

  /** The scope of an `Authorization: Bearer …` header, or null. */
  scopeOf(header: string | undefined): AdminScope | null {
    if (header === undefined || !header.startsWith('Bearer ')) return null;
    const presented = Buffer.from(header.slice(7).trim());
    let found: AdminScope | null = null;
    for (const { key, scope } of this.#keys)
      if (key.length === presented.length && timingSafeEqual(key, presented)) found = scope;
    return found;
  }

  /** May this header read `/metrics` on the hub's port? */
  mayReadMetrics(header: string | undefined): boolean {
    return !this.metricsProtected || this.scopeOf(header) !== null;
  }
}
