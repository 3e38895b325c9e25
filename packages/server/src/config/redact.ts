import { redactUrl } from './leaves.ts';
import type { Config } from './types.ts';

/** The configuration with its secrets hidden (API keys, a password in the engine URL), for printing or logging. */
export function redactConfig(config: Config): Config {
  return {
    ...config,
    api: { ...config.api, keys: config.api.keys.map(() => '<redacted>') },
    engine: { ...config.engine, url: redactUrl(config.engine.url) },
  };
}
