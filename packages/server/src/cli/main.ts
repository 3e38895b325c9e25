// The `switchboard` command: `serve` starts the hub, `check-config` validates and prints the configuration.
// Exit statuses: 0 done; 1 a start failure (e.g. port in use) or, for check-config, an invalid configuration;
// 2 a usage error, or an invalid configuration for `serve`.
import { readFileSync } from 'node:fs';
import { getAsset, isSea } from 'node:sea';
import { Command, CommanderError } from 'commander';
import type { Logger } from 'pino';
import { type Env, setAt } from '../config/env.ts';
import { ConfigError, type RawConfig, type Resolved, resolveConfig } from '../config/load.ts';
import { redactConfig } from '../config/redact.ts';

import type { Config } from '../config/types.ts';
import { createLogger } from '../observability/logger.ts';
import { importPackage, notInstalled, type PackageLoader } from '../optional.ts';
import { banner, type Listening } from './banner.ts';

/** What `serve` needs of a started server (a subset of server.ts's RunningServer). */
export interface Started extends Listening {
  shutdown(reason?: string): Promise<void>;
}

export type Start = (config: Config, options: { logger: Logger }) => Promise<Started>;

/** The process around the CLI; tests replace parts of it. */
export interface CliIo {
  readonly env: Env;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Ends the process (after a signal). */
  readonly exit: (code: number) => void;
  /** Where SIGTERM / SIGINT handlers go. */
  readonly signals: { on(signal: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown };
  /** Starts the hub; by default server.ts's `startServer`, loaded only when `serve` runs. */
  readonly start: Start;
  /** Where `serve` logs; by default pino, JSON lines on stdout, at `log.level`. */
  readonly logger: (config: Config) => Logger;
  /** Loads an optional package by name (`bench` loads the load generator); by default `import()`. */
  readonly load: PackageLoader;
}

/** The load generator's entry point, as `switchboard bench` uses it. */
interface BenchPackage {
  runBenchCli(args: string[]): Promise<number>;
}

/** How long past `server.shutdownTimeout` a shutdown may take before the process exits anyway (status 1). */
export const SHUTDOWN_GRACE_MS = 5_000;

/** The load generator: not a dependency of the hub, loaded by `switchboard bench` when installed. */
export const BENCH_PACKAGE = '@switchboard/bench';

const defaultIo: CliIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
  signals: process,
  start: async (config, options) => (await import('../server.ts')).startServer(config, options),
  logger: (config) => createLogger(config.log.level),
  load: importPackage,
};

/** Commander option name → raw option path. Only options given on the command line are passed on. */
const FLAG_PATHS: Readonly<Record<string, string>> = {
  port: 'server.port',
  host: 'server.host',
  maxConnections: 'server.maxConnections',
  tlsCert: 'server.tls.cert',
  tlsKey: 'server.tls.key',
  inspector: 'server.inspector',
  apiKey: 'api.keys',
  allowedOrigin: 'server.allowedOrigins',
  engine: 'engine.url',
  historySize: 'channel.history.size',
  presence: 'channel.presence',
  allowClientPublish: 'channel.clientPublish',
  logLevel: 'log.level',
  webhooksUrl: 'webhooks.url',
  strictEnv: 'strictEnv',
};

function withConfigOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON config file (or SWITCHBOARD_CONFIG)')
    .option('--port <port>', 'TCP port, 0 for any free one (server.port)')
    .option('--host <host>', 'interface to listen on (server.host)')
    .option(
      '--api-key <key>',
      'an accepted API key; repeat for more (api.keys)',
      (v, prev: string[]) => [...prev, v],
      [],
    )
    .option(
      '--allowed-origin <origin>',
      'a browser origin allowed to connect; repeat for more (server.allowedOrigins)',
      (v, prev: string[]) => [...prev, v],
      [],
    )
    .option('--engine <url>', '"memory", or a redis:// / nats:// URL (engine.url)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (log.level)')
    .option('--history-size <n>', 'publications kept per channel, 0 for none (channel.history.size)')
    .option('--presence', 'track who is subscribed (channel.presence)')
    .option('--no-presence', 'do not track who is subscribed')
    .option('--allow-client-publish', 'let clients publish over WebSocket (channel.clientPublish)')
    .option('--no-inspector', 'do not serve the inspector page (server.inspector)')
    .option('--max-connections <n>', 'most concurrent connections (server.maxConnections)')
    .option('--tls-cert <file>', 'PEM certificate chain: TLS with HTTP/2 on the port (server.tls.cert)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert (server.tls.key)')
    .option('--webhooks-url <url>', 'where signed webhooks are POSTed (webhooks.url)')
    .option(
      '--strict-env',
      'refuse unknown SWITCHBOARD_* environment variables instead of warning (strictEnv)',
    )
    .option('--no-strict-env', 'warn about unknown SWITCHBOARD_* environment variables');
}

/** The raw options set on the command line (defaults commander fills in are left out: they would hide the file's). */
function flagsOf(cmd: Command): RawConfig {
  const raw: Record<string, unknown> = {};
  const opts = cmd.opts<Record<string, unknown>>();
  for (const [name, path] of Object.entries(FLAG_PATHS))
    if (cmd.getOptionValueSource(name) === 'cli') setAt(raw, path, opts[name]);
  return raw;
}

function load(cmd: Command, io: CliIo): Resolved {
  const file = cmd.opts<{ config?: string }>().config;
  return resolveConfig({ file, env: io.env, flags: flagsOf(cmd) });
}

function reportConfigError(err: ConfigError, io: CliIo): void {
  const n = err.problems.length;
  io.stderr(`switchboard: invalid configuration (${n} problem${n === 1 ? '' : 's'}):\n`);
  io.stderr(`${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
  reportWarnings(err.warnings, io);
}

function reportWarnings(warnings: readonly string[], io: CliIo): void {
  for (const w of warnings) io.stderr(`switchboard: warning: ${w}\n`);
}

/** The Services whose link variables were set aside, once each, sorted. */
function linkedServices(resolved: Resolved): string[] {
  return [...new Set(resolved.serviceLinks.values())].sort();
}

/** The package's version; the single executable embeds the package.json as an asset of the same name. */
function version(): string {
  const text = isSea()
    ? getAsset('package.json', 'utf8')
    : readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const pkg = JSON.parse(text) as { version: string };
  return pkg.version;
}

/**
 * Runs the CLI on `argv` (`process.argv`: node, script, arguments). Resolves to the exit status of a command that
 * has finished, or `undefined` while `serve` keeps running (its signal handlers end the process).
 */
export async function run(
  argv: readonly string[],
  overrides: Partial<CliIo> = {},
): Promise<number | undefined> {
  const io: CliIo = { ...defaultIo, ...overrides };
  let status: number | undefined = 0;
  const program = new Command('switchboard')
    .description('Switchboard: a self-hosted real-time hub (WebSocket + SSE fan-out)')
    .version(version())
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  withConfigOptions(program.command('serve').description('start the hub')).action(
    async (_opts, cmd: Command) => {
      status = await serve(cmd, io);
    },
  );

  withConfigOptions(
    program
      .command('check-config')
      .description('validate the configuration and print it resolved, as JSON, with API keys redacted'),
  ).action((_opts, cmd: Command) => {
    status = checkConfig(cmd, io);
  });

  program
    .command('bench')
    .description(
      'load a running hub with raw-socket subscribers and a publisher (`switchboard bench --help`)',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]', 'options of the load generator')
    .action(async (args: string[]) => {
      status = await bench(args, io);
    });

  try {
    if (argv.length <= 2) {
      io.stderr(program.helpInformation());
      return 2;
    }
    await program.parseAsync([...argv]);
    return status;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
}

/** `switchboard bench`: the load generator, loaded only when asked for and only if it is installed. */
async function bench(args: string[], io: CliIo): Promise<number> {
  let pkg: BenchPackage;
  try {
    pkg = (await io.load(BENCH_PACKAGE)) as BenchPackage;
  } catch (err) {
    if (!notInstalled(err, BENCH_PACKAGE)) throw err;
    io.stderr(
      `switchboard: bench needs the load generator, ${BENCH_PACKAGE}, which is not installed: npm install ${BENCH_PACKAGE}\n`,
    );
    return 1;
  }
  return pkg.runBenchCli(args);
}

function checkConfig(cmd: Command, io: CliIo): number {
  let resolved: Resolved;
  try {
    resolved = load(cmd, io);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    reportConfigError(err, io);
    return 1;
  }
  const { config, serviceLinks } = resolved;
  io.stdout(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
  reportWarnings(resolved.warnings, io);
  if (serviceLinks.size > 0) {
    const services = linkedServices(resolved);
    io.stderr(
      `switchboard: ignored ${serviceLinks.size} Kubernetes service-link variables (Service${services.length === 1 ? '' : 's'} ${services.join(', ')})\n`,
    );
  }
  if (config.api.keys.length === 0)
    io.stderr('switchboard: no API keys configured: serve will generate one at start-up and print it\n');
  return 0;
}

async function serve(cmd: Command, io: CliIo): Promise<number | undefined> {
  let resolved: Resolved;
  try {
    resolved = load(cmd, io);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    reportConfigError(err, io);
    return 2;
  }
  const { config, serviceLinks } = resolved;
  reportWarnings(resolved.warnings, io);
  const logger = io.logger(config);
  if (serviceLinks.size > 0)
    logger.debug(
      { services: linkedServices(resolved), variables: [...serviceLinks.keys()].sort() },
      'ignored Kubernetes service-link variables',
    );
  let server: Started;
  try {
    server = await io.start(config, { logger });
  } catch (err) {
    logger.debug({ err }, 'start failed');
    io.stderr(`switchboard: ${startFailure(err, config)}\n`);
    return 1;
  }
  io.stderr(banner(server, config));

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      io.stderr(`switchboard: ${signal} again, exiting without waiting\n`);
      io.exit(1);
      return;
    }
    stopping = true;
    io.stderr(`switchboard: ${signal}, draining connections (again to exit at once)\n`);
    // A backstop: whatever hangs after the drain (an engine that never answers its close), the process is gone
    // SHUTDOWN_GRACE_MS after server.shutdownTimeout.
    const limitMs = config.server.shutdownTimeoutMs + SHUTDOWN_GRACE_MS;
    const backstop = setTimeout(() => {
      io.stderr(`switchboard: shutdown did not finish within ${limitMs} ms, exiting without waiting\n`);
      io.exit(1);
    }, limitMs);
    backstop.unref();
    server.shutdown(signal).then(
      () => {
        clearTimeout(backstop);
        io.exit(0);
      },
      (err: unknown) => {
        clearTimeout(backstop);
        logger.error({ err }, 'shutdown failed');
        io.exit(1);
      },
    );
  };
  io.signals.on('SIGTERM', onSignal);
  io.signals.on('SIGINT', onSignal);
  return undefined;
}

/** One line saying why the hub did not start, with the usual remedy for the usual causes. */
export function startFailure(err: unknown, config: Config): string {
  const { host, port } = config.server;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the address is already in use (EADDRINUSE); stop the other process or choose another --port`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (EACCES); ports below 1024 need privileges`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: no such address on this machine (EADDRNOTAVAIL); check --host`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${where}: cannot resolve host "${config.server.host}" (${code})`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return `could not start: ${message.split('\n')[0]}`;
}
