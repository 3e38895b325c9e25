import { MAX_TOKEN_LENGTH } from '@switchboard/protocol';
import { errors, type JWTPayload, type JWTVerifyOptions, jwtVerify } from 'jose';
import type { Logger } from 'pino';
import { SwitchboardError } from '../errors.ts';
import { identityFrom } from './claims.ts';
import type { VerificationKey } from './keys.ts';
import { type Authenticator, type Identity, UNAUTHORIZED_MESSAGE } from './types.ts';

export interface JwtSettings {
  readonly audience: string;
  readonly issuer: string;
  readonly leewayMs: number;
}

function refused(): SwitchboardError {
  return new SwitchboardError('unauthorized', UNAUTHORIZED_MESSAGE);
}

/** JWT verification with jose, against one configured key (secret, public key or JWKS). */
export class JwtAuthenticator implements Authenticator {
  readonly enabled = true;
  readonly #key: VerificationKey;
  readonly #options: JWTVerifyOptions;
  readonly #leewayMs: number;
  readonly #logger: Logger;

  constructor(key: VerificationKey, settings: JwtSettings, logger: Logger) {
    this.#key = key;
    this.#leewayMs = settings.leewayMs;
    this.#logger = logger;
    this.#options = {
      algorithms: [...key.algorithms],
      requiredClaims: ['exp'],
      clockTolerance: Math.floor(settings.leewayMs / 1000),
      ...(settings.audience === '' ? {} : { audience: settings.audience }),
      ...(settings.issuer === '' ? {} : { issuer: settings.issuer }),
    };
  }

  async #verify(token: string): Promise<JWTPayload> {
    if (token.length > MAX_TOKEN_LENGTH) throw refused();
    try {
      const key = this.#key.key;
      // The overloads differ only in the key's type; the algorithm list, not the key kind, is what protects.
      const result =
        typeof key === 'function'
          ? await jwtVerify(token, key, this.#options)
          : await jwtVerify(token, key, this.#options);
      return result.payload;
    } catch (err) {
      // The reason is for operators, as a code only; the client gets the same answer whatever it was.
      const reason = err instanceof errors.JOSEError ? err.code : 'ERR_UNEXPECTED';
      this.#logger.debug({ reason }, 'token refused');
      throw refused();
    }
  }

  async verifyConnection(token: string): Promise<Identity> {
    const payload = await this.#verify(token);
    // The `channel` claim makes a token a subscription token: it can never open a connection (it would make the
    // connection its `sub`, user channels included), and a connection token (without it) never subscribes.
    if (payload.channel !== undefined) {
      this.#logger.debug({ reason: 'ERR_SUBSCRIPTION_TOKEN' }, 'token refused');
      throw refused();
    }
    const identity = identityFrom(payload, this.#leewayMs);
    if (identity === null) {
      this.#logger.debug({ reason: 'ERR_CLAIMS' }, 'token refused');
      throw refused();
    }
    return identity;
  }

  async verifySubscription(token: string, channel: string, user: string | null): Promise<void> {
    const payload = await this.#verify(token);
    if (payload.channel !== channel || (payload.sub ?? null) !== user) {
      this.#logger.debug({ reason: 'ERR_SUBSCRIPTION_CLAIMS' }, 'token refused');
      throw refused();
    }
  }
}

/** With no key configured: every token is refused, the same way. */
export class NoAuthenticator implements Authenticator {
  readonly enabled = false;
  async verifyConnection(): Promise<Identity> {
    throw refused();
  }
  async verifySubscription(): Promise<void> {
    throw refused();
  }
}
