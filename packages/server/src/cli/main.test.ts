import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loaderWithoutPackages } from '@switchboard/test-helpers/missing-package';
import pino from 'pino';
import { DEFAULTS } from '../config/defaults.ts';
import type { Config } from '../config/types.ts';
import { banner, displayHost } from './banner.ts';
import { BENCH_PACKAGE, type CliIo, run, SHUTDOWN_GRACE_MS, type Started } from './main.ts';

const BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the real command with this Node and only the given environment (plus PATH). */
function cli(
  args: string[],
  env: Record<string, string> = {},
  node = process.execPath,
  nodeArgs: string[] = [],
) {
  const r = spawnSync(node, [...nodeArgs, BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    cwd: dir,
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('switchboard check-config (spawned)', () => {
  it('prints the resolved defaults as JSON and exits 0', () => {
    const r = cli(['check-config']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), DEFAULTS);
    assert.match(r.stderr, /no API keys configured: serve will generate one/);
  });

  it('applies file < environment < flags, and redacts API keys', () => {
    const path = file('ok.json', {
      server: { port: 1000, host: '127.0.0.1' },
      api: { keys: ['file-secret-key'] },
    });
    const r = cli(
      [
        'check-config',
        '--config',
        path,
        '--port',
        '3000',
        '--no-presence',
        '--api-key',
        'flag-secret-1',
        '--api-key',
        'flag-secret-2',
      ],
      {
        SWITCHBOARD_SERVER_PORT: '2000',
        SWITCHBOARD_HEARTBEAT_INTERVAL: '30s',
        SWITCHBOARD_ENGINE: 'redis://user:hunter2@cache:6379',
        SWITCHBOARD_AUTH_SECRET: 'auth-secret-0123456789-0123456789-xyz',
        SWITCHBOARD_API_PUBLISH_KEYS: 'publish-secret-key',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const config = JSON.parse(r.stdout) as Config;
    assert.equal(config.server.port, 3000);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.heartbeat.intervalMs, 30_000);
    assert.equal(config.channel.presence, false);
    assert.deepEqual(config.api.keys, ['<redacted>', '<redacted>']);
    assert.equal(config.engine.url, 'redis://user:redacted@cache:6379');
    assert.equal(config.auth.secret, '<redacted>');
    assert.deepEqual(config.api.publishKeys, ['<redacted>']);
    for (const secret of [
      'file-secret-key',
      'flag-secret-1',
      'flag-secret-2',
      'hunter2',
      'auth-secret-0123456789-0123456789-xyz',
      'publish-secret-key',
    ])
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), secret);
  });

  it('finds the file through SWITCHBOARD_CONFIG', () => {
    const path = file('env-named.json', { server: { port: 4321 } });
    const r = cli(['check-config'], { SWITCHBOARD_CONFIG: path });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Config).server.port, 4321);
  });

  it('lists every problem and exits 1 on an invalid configuration', () => {
    const path = file('bad.json', { server: { prot: 80 }, limits: { maxMessageSize: 'lots' } });
    const r = cli(['check-config', '--config', path, '--log-level', 'loud'], {
      SWITCHBOARD_SERVER_PORT: 'http',
    });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      [
        'switchboard: invalid configuration (4 problems):',
        `  config file ${path}: server.prot: unknown option (did you mean server.port?)`,
        `  config file ${path}: limits.maxMessageSize: expected a size like "64kb", got "lots"`,
        '  environment SWITCHBOARD_SERVER_PORT: must be an integer 0..65535, got "http"',
        '  flag --log-level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
        '',
      ].join('\n'),
    );
  });

  it('exits 1 on a missing config file', () => {
    const r = cli(['check-config', '--config', 'nope.json']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /config file nope\.json: cannot read it: no such file/);
  });

  it('warns about an unknown SWITCHBOARD_* variable, with its suggestion, and exits 0', () => {
    const r = cli(['check-config'], { SWITCHBOARD_LOGLEVEL: 'debug', SWITCHBOARD_PORT: '3000' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), DEFAULTS);
    assert.equal(
      r.stderr,
      [
        'switchboard: warning: environment SWITCHBOARD_LOGLEVEL: unknown variable, ignored (did you mean SWITCHBOARD_LOG_LEVEL?); see docs/configuration.md',
        'switchboard: warning: environment SWITCHBOARD_PORT: unknown variable, ignored (did you mean SWITCHBOARD_SERVER_PORT (or PORT)?); see docs/configuration.md',
        'switchboard: no API keys configured: serve will generate one at start-up and print it',
        '',
      ].join('\n'),
    );
  });

  it('refuses it under --strict-env or SWITCHBOARD_STRICT_ENV: exit 1', () => {
    const error =
      'switchboard: invalid configuration (1 problem):\n  environment SWITCHBOARD_LOGLEVEL: unknown variable (did you mean SWITCHBOARD_LOG_LEVEL?); see docs/configuration.md\n';
    const flag = cli(['check-config', '--strict-env'], { SWITCHBOARD_LOGLEVEL: 'debug' });
    assert.equal(flag.status, 1);
    assert.equal(flag.stderr, error);
    assert.equal(flag.stdout, '');
    const env = cli(['check-config'], { SWITCHBOARD_LOGLEVEL: 'debug', SWITCHBOARD_STRICT_ENV: 'true' });
    assert.equal(env.status, 1);
    assert.equal(env.stderr, error);
    const undone = cli(['check-config', '--no-strict-env'], {
      SWITCHBOARD_LOGLEVEL: 'debug',
      SWITCHBOARD_STRICT_ENV: 'true',
    });
    assert.equal(undone.status, 0, undone.stderr);
    assert.match(undone.stderr, /warning: environment SWITCHBOARD_LOGLEVEL: unknown variable, ignored/);
  });

  it('an invalid configuration also shows the warnings', () => {
    const r = cli(['check-config'], { SWITCHBOARD_SERVER_PORT: 'http', SWITCHBOARD_LOGLEVEL: 'debug' });
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      [
        'switchboard: invalid configuration (1 problem):',
        '  environment SWITCHBOARD_SERVER_PORT: must be an integer 0..65535, got "http"',
        'switchboard: warning: environment SWITCHBOARD_LOGLEVEL: unknown variable, ignored (did you mean SWITCHBOARD_LOG_LEVEL?); see docs/configuration.md',
        '',
      ].join('\n'),
    );
  });

  it('says how many Kubernetes service-link variables it ignored, and of which Services', () => {
    const r = cli(['check-config', '--strict-env', '--api-key', 'some-key'], {
      SWITCHBOARD_SERVICE_HOST: '10.0.0.12',
      SWITCHBOARD_SERVICE_PORT: '8080',
      SWITCHBOARD_PORT: 'tcp://10.0.0.12:8080',
      SWITCHBOARD_SERVER_SERVICE_HOST: '10.0.0.13',
      SWITCHBOARD_SERVER_SERVICE_PORT: '80',
      SWITCHBOARD_SERVER_PORT: 'tcp://10.0.0.13:80',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Config).server.port, 8080);
    assert.equal(
      r.stderr,
      'switchboard: ignored 6 Kubernetes service-link variables (Services switchboard, switchboard-server)\n',
    );
  });
});

describe('switchboard (spawned): exit statuses', () => {
  it('serve exits 2 on an invalid configuration, before starting anything', () => {
    const r = cli(['serve', '--port', '70000']);
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr,
      'switchboard: invalid configuration (1 problem):\n  flag --port: must be an integer 0..65535, got "70000"\n',
    );
    assert.equal(r.stdout, '');
  });

  it('an unknown flag or command is a usage error: 2', () => {
    const flag = cli(['check-config', '--prot', '1']);
    assert.equal(flag.status, 2);
    assert.match(flag.stderr, /unknown option '--prot'/);
    const command = cli(['start']);
    assert.equal(command.status, 2);
    assert.match(command.stderr, /unknown command 'start'/);
  });

  it('no command prints the help on stderr and exits 2', () => {
    const r = cli([]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Usage: switchboard/);
    assert.match(r.stderr, /serve/);
    assert.match(r.stderr, /check-config/);
  });

  it('--version and --help exit 0', () => {
    const version = cli(['--version']);
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    const help = cli(['serve', '--help']);
    assert.equal(help.status, 0);
    for (const flag of [
      '--config',
      '--port',
      '--host',
      '--api-key',
      '--engine',
      '--log-level',
      '--history-size',
      '--no-presence',
      '--allow-client-publish',
      '--no-inspector',
      '--max-connections',
      '--strict-env',
      '--no-strict-env',
    ])
      assert.ok(help.stdout.includes(flag), flag);
  });

  // The version check runs on every machine: this Node, told by a preload that it is 20.11.1 (the check reads
  // only process.versions). Where an old Node is installed, the real one is run too: it also proves the file
  // parses there.
  const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
    if (!existsSync(p)) return false;
    const v = spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    const [major = 0, minor = 0] = v.split('.').map(Number);
    return major > 0 && (major < 22 || (major === 22 && minor < 18));
  });
  it('refuses to run on Node < 22.18, naming the Node it found', () => {
    const pretend =
      'data:text/javascript,Object.defineProperty(process,"versions",{value:{...process.versions,node:"20.11.1"}});';
    const r = cli(['check-config'], {}, process.execPath, ['--import', pretend]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^switchboard: needs Node\.js 22\.18 or newer, which runs TypeScript by type stripping; found Node 20\.11\.1 at \/.*\n.*npm start/,
    );
    if (OLD_NODE !== undefined) {
      const real = cli(['check-config'], {}, OLD_NODE);
      assert.equal(real.status, 1, real.stderr);
      assert.match(real.stderr, /needs Node\.js 22\.18 or newer.*found Node \d+\.\d+\.\d+ at \//);
    }
  });

  it('refuses to run with type stripping turned off, and says so', () => {
    const r = cli(['check-config'], {}, process.execPath, ['--no-experimental-strip-types']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      /^switchboard: needs type stripping, which is turned off \(--no-experimental-strip-types\) in Node \d+\.\d+\.\d+ at \//,
    );
  });
});

/** An in-process CLI with a fake hub: records output, exits and shutdowns. */
function harness(start?: CliIo['start'], load?: CliIo['load']) {
  const out: string[] = [];
  const err: string[] = [];
  const exits: number[] = [];
  const signals = new EventEmitter();
  const calls = { started: [] as Config[], shutdowns: [] as (string | undefined)[] };
  let finishShutdown: () => void = () => {};
  const fake: Started = {
    host: '0.0.0.0',
    port: 8080,
    generatedApiKey: 'generated-key-abc',
    shutdown: (reason) => {
      calls.shutdowns.push(reason);
      return new Promise<void>((resolve) => {
        finishShutdown = resolve;
      });
    },
  };
  const io: Partial<CliIo> = {
    env: {},
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    exit: (code) => exits.push(code),
    signals,
    logger: () => pino({ level: 'silent' }),
    start:
      start ??
      (async (config) => {
        calls.started.push(config);
        return fake;
      }),
    ...(load === undefined ? {} : { load }),
  };
  return {
    run: (...args: string[]) => run(['node', 'switchboard', ...args], io),
    out,
    err,
    exits,
    signals,
    calls,
    finishShutdown: () => finishShutdown(),
  };
}

describe('switchboard serve (in process, fake hub)', () => {
  it('starts with the resolved config, prints the banner, and keeps running', async () => {
    const h = harness();
    assert.equal(await h.run('serve', '--port', '8080', '--allow-client-publish'), undefined);
    assert.equal(h.calls.started.length, 1);
    assert.equal(h.calls.started[0]!.channel.clientPublish, true);
    const text = h.err.join('');
    assert.match(text, /^Switchboard is up \(engine: memory\)\n/);
    assert.match(text, /inspector {2}http:\/\/localhost:8080\/\n/);
    assert.match(text, /WebSocket {2}ws:\/\/localhost:8080\/ws\n/);
    assert.match(text, /SSE {8}http:\/\/localhost:8080\/sse\?channel=<name>\n/);
    assert.match(text, /HTTP API {3}http:\/\/localhost:8080\/api\/publish/);
    assert.match(text, /API key {4}generated-key-abc/);
    assert.equal(h.out.join(''), '');
  });

  it('on the first signal drains once and exits 0; a second signal exits 1 at once', async () => {
    const h = harness();
    await h.run('serve');
    h.signals.emit('SIGTERM', 'SIGTERM');
    assert.deepEqual(h.calls.shutdowns, ['SIGTERM']);
    assert.deepEqual(h.exits, []);
    h.signals.emit('SIGINT', 'SIGINT');
    assert.deepEqual(h.calls.shutdowns, ['SIGTERM'], 'shutdown is called once');
    assert.deepEqual(h.exits, [1]);

    const g = harness();
    await g.run('serve');
    g.signals.emit('SIGINT', 'SIGINT');
    g.finishShutdown();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(g.exits, [0]);
  });

  it('a shutdown that never finishes ends the process SHUTDOWN_GRACE_MS after server.shutdownTimeout', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const h = harness();
    await h.run('serve');
    h.signals.emit('SIGTERM', 'SIGTERM');
    const limit = DEFAULTS.server.shutdownTimeoutMs + SHUTDOWN_GRACE_MS;
    t.mock.timers.tick(limit - 1);
    assert.deepEqual(h.exits, [], 'not before the limit');
    t.mock.timers.tick(1);
    assert.deepEqual(h.exits, [1]);
    assert.match(
      h.err.join(''),
      new RegExp(`shutdown did not finish within ${limit} ms, exiting without waiting`),
    );
  });

  it('a start failure is one clear line and status 1', async () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 0.0.0.0:8080'), {
      code: 'EADDRINUSE',
    });
    const h = harness(async () => {
      throw inUse;
    });
    assert.equal(await h.run('serve'), 1);
    assert.equal(
      h.err.join(''),
      'switchboard: cannot listen on 0.0.0.0:8080: the address is already in use (EADDRINUSE); stop the other process or choose another --port\n',
    );

    const other = harness(async () => {
      throw new Error('engine "redis" is not available in this build; use "memory"\n    at somewhere');
    });
    assert.equal(await other.run('serve'), 1);
    assert.equal(
      other.err.join(''),
      'switchboard: could not start: engine "redis" is not available in this build; use "memory"\n',
    );
  });

  it('an invalid configuration is status 2 and starts nothing', async () => {
    const h = harness();
    assert.equal(await h.run('serve', '--history-size', '-1'), 2);
    assert.equal(h.calls.started.length, 0);
    assert.match(h.err.join(''), /flag --history-size: must be an integer >= 0, got "-1"/);
  });
});

describe('switchboard bench (in process)', () => {
  it('runs the load generator when it is installed, with the arguments given', async () => {
    const loaded: string[] = [];
    const seen: string[][] = [];
    const h = harness(undefined, async (name) => {
      loaded.push(name);
      return {
        runBenchCli: async (args: string[]) => {
          seen.push(args);
          return 3;
        },
      };
    });
    assert.equal(await h.run('bench', '--scenario', 'fanout'), 3);
    assert.deepEqual(loaded, [BENCH_PACKAGE]);
    assert.deepEqual(seen, [['--scenario', 'fanout']]);
  });

  it('says how to install it when it is not installed, and exits 1', async () => {
    const { load, cleanup } = await loaderWithoutPackages();
    try {
      const h = harness(undefined, load);
      assert.equal(await h.run('bench'), 1);
      assert.equal(
        h.err.join(''),
        'switchboard: bench needs the load generator, @switchboard/bench, which is not installed: npm install @switchboard/bench\n',
      );
    } finally {
      cleanup();
    }
  });
});

describe('banner', () => {
  it('shows wildcard hosts as localhost, brackets IPv6, and says when the inspector is off', () => {
    assert.equal(displayHost('0.0.0.0'), 'localhost');
    assert.equal(displayHost('::'), 'localhost');
    assert.equal(displayHost('127.0.0.1'), '127.0.0.1');
    assert.equal(displayHost('::1'), '[::1]');
    const config: Config = { ...DEFAULTS, server: { ...DEFAULTS.server, inspector: false } };
    const text = banner({ host: '::1', port: 9000, generatedApiKey: null }, config);
    assert.match(text, /inspector {2}off\n/);
    assert.match(text, /ws:\/\/\[::1\]:9000\/ws/);
    assert.doesNotMatch(text, /API key/);
  });

  it('gives https:// and wss:// addresses when the port speaks TLS', () => {
    const config: Config = {
      ...DEFAULTS,
      server: { ...DEFAULTS.server, tls: { cert: 'c.pem', key: 'k.pem' } },
    };
    const text = banner({ host: '0.0.0.0', port: 8443, generatedApiKey: null }, config);
    assert.match(text, /TLS with HTTP\/2\)/);
    assert.match(text, /inspector {2}https:\/\/localhost:8443\//);
    assert.match(text, /WebSocket {2}wss:\/\/localhost:8443\/ws/);
    assert.match(text, /SSE {8}https:\/\/localhost:8443\/sse/);
    assert.doesNotMatch(text, /http:\/\/|ws:\/\//);
  });

  it('warns loudly about the open defaults, and only about those', () => {
    const open = banner({ host: '::1', port: 9000, generatedApiKey: null }, DEFAULTS);
    assert.match(open, /WARNING {4}no auth configured/);
    assert.match(open, /WARNING {4}server\.allowedOrigins is "\*"/);
    const closed: Config = {
      ...DEFAULTS,
      server: { ...DEFAULTS.server, allowedOrigins: ['https://app.example.com'] },
      auth: { ...DEFAULTS.auth, secret: 'x'.repeat(32) },
    };
    assert.doesNotMatch(banner({ host: '::1', port: 9000, generatedApiKey: null }, closed), /WARNING/);
  });
  it('says where the console and the metrics are, and what they need', () => {
    const open = banner({ host: '::1', port: 9000, generatedApiKey: null }, DEFAULTS);
    assert.doesNotMatch(open, /console/);
    assert.match(open, /metrics {4}http:\/\/\[::1\]:9000\/metrics\n/);
    const admin: Config = { ...DEFAULTS, admin: { keys: ['k'.repeat(24)] } };
    const text = banner({ host: '::1', port: 9000, generatedApiKey: null }, admin);
    assert.match(text, /console {4}http:\/\/\[::1\]:9000\/admin {2}\(an admin key\)/);
    assert.match(text, /metrics {4}http:\/\/\[::1\]:9000\/metrics {2}\(an admin key or the metrics token\)/);
    const separate: Config = { ...admin, metrics: { ...DEFAULTS.metrics, port: 9091 } };
    assert.match(
      banner({ host: '::1', port: 9000, generatedApiKey: null }, separate),
      /metrics {4}http:\/\/127\.0\.0\.1:9091\/metrics\n/,
    );
  });
});
