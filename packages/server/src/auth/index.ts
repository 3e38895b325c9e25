import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { JwtAuthenticator, NoAuthenticator } from './jwt.ts';
import { loadKey } from './keys.ts';
import type { Authenticator } from './types.ts';

/** The authenticator the configuration asks for (config validation has already refused unusable keys). */
export function createAuthenticator(config: Config, logger: Logger): Authenticator {
  const loaded = loadKey(config.auth);
  if (!loaded.ok) throw new Error(loaded.message);
  if (loaded.key === null) return new NoAuthenticator();
  return new JwtAuthenticator(loaded.key, config.auth, logger);
}
