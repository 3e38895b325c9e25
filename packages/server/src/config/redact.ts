import { redactUrl } from './leaves.ts';
import type { Config } from './types.ts';

/** The configuration with its secrets hidden (API keys, a password in the engine URL), for printing or logging. */
export function redactConfig(config: Config): Config {
  return {
    ...config,
    api: {
      ...config.api,
      keys: config.api.keys.map(() => '<redacted>'),
      publishKeys: config.api.publishKeys.map(() => '<redacted>'),
    },
    auth: {
      ...config.auth,
      secret: config.auth.secret === '' ? '' : '<redacted>',
      // Public, but long and not worth printing; a private key pasted by mistake stays hidden too.
      publicKey: config.auth.publicKey === '' ? '' : '<redacted>',
    },
    engine: { ...config.engine, url: redactUrl(config.engine.url) },
  };
}
