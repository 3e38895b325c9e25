/** A connection token: a fixed string, or a function the client calls for a fresh one (it may be async). */
export type TokenOption = string | (() => string | Promise<string>);

/**
 * Holds the connection token. A static token is used as is; a `getToken` callback is called on first use and
 * again whenever the token expired, was refused, or is about to expire (the client refreshes it live).
 */
export class Tokens {
  readonly #option: TokenOption | undefined;
  #current: string | undefined;

  constructor(option: TokenOption | undefined) {
    this.#option = option;
    if (typeof option === 'string') this.#current = option;
  }

  get configured(): boolean {
    return this.#option !== undefined;
  }

  /** True when a refused token can be replaced by calling the app again. */
  get renewable(): boolean {
    return typeof this.#option === 'function';
  }

  /** The token to connect with: the cached one, else a fresh one from `getToken`. */
  async current(): Promise<string | undefined> {
    if (this.#current !== undefined || typeof this.#option !== 'function') return this.#current;
    return this.fresh();
  }

  /** Asks the app for a new token (refresh before expiry, or after a refusal). */
  async fresh(): Promise<string | undefined> {
    if (typeof this.#option !== 'function') return this.#current;
    const token = await this.#option();
    if (typeof token !== 'string' || token === '')
      throw new TypeError('getToken() must return a non-empty string');
    this.#current = token;
    return token;
  }

  /** The hub refused or expired the cached token: the next `current()` asks for a fresh one. */
  invalidate(): void {
    if (typeof this.#option === 'function') this.#current = undefined;
  }
}
