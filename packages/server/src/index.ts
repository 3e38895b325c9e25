// @switchboard/server: the hub, to embed in a Node process. `startServer(config, { logger, engine? })` starts it
// on the configuration's port and resolves once it listens; `loadConfig` builds that configuration the way the
// `switchboard` command does (file, environment, flags), and `DEFAULTS` holds every default. Engines build on
// @switchboard/engine-kit, not on this package.
export { DEFAULTS } from './config/defaults.ts';
export { ConfigError, type ConfigSources, loadConfig, type RawConfig } from './config/load.ts';
export type {
  ChannelConfig,
  Config,
  DeliveryPolicy,
  NamespaceMap,
  NamespaceOverrides,
} from './config/types.ts';
export type { ExtraRoutes } from './http/server.ts';
export { type RunningServer, type StartOptions, startServer } from './server.ts';
