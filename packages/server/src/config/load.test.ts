import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULTS } from './defaults.ts';
import { redactUrl } from './leaves.ts';
import { ConfigError, type ConfigSources, loadConfig, resolveConfig } from './load.ts';
import { pusherAppsOf } from './pusher-apps.ts';
import { FIELDS } from './schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Writes `content` (JSON unless a string) to a fresh file and returns its path. */
function file(content: unknown): string {
  const path = join(dir, `config-${++n}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The problem lines of the ConfigError that loading `sources` throws. */
function problems(sources: ConfigSources): string[] {
  try {
    loadConfig(sources);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'config_invalid');
    assert.equal(err.message, err.problems.join('\n'));
    return [...err.problems];
  }
  assert.fail('expected a ConfigError');
}

/** The single problem line, checked against a pattern. */
function problem(sources: ConfigSources, pattern: RegExp): void {
  const lines = problems(sources);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, pattern);
}

describe('defaults', () => {
  it('are the resolved config when no source says anything', () => {
    assert.deepEqual(loadConfig(), DEFAULTS);
    assert.deepEqual(loadConfig({ env: {}, flags: {} }), DEFAULTS);
    assert.deepEqual(loadConfig({ file: file({}) }), DEFAULTS);
  });

  it('come back deep-frozen, without freezing DEFAULTS', () => {
    const config = loadConfig();
    assert.ok(Object.isFrozen(config.server) && Object.isFrozen(config.api.keys));
    assert.ok(!Object.isFrozen(DEFAULTS.server) && !Object.isFrozen(DEFAULTS.api.keys));
  });
});

describe('precedence: defaults < file < environment < flags', () => {
  const path = file({ server: { port: 1000, host: '127.0.0.1' }, channel: { history: { size: 5 } } });
  const env = { SWITCHBOARD_SERVER_PORT: '2000', SWITCHBOARD_CHANNEL_HISTORY_TTL: '1m' };
  const flags = { server: { port: 3000 } };

  it('the file over defaults', () => {
    const c = loadConfig({ file: path });
    assert.equal(c.server.port, 1000);
    assert.equal(c.server.host, '127.0.0.1');
    assert.equal(c.channel.history.size, 5);
    assert.equal(c.channel.history.ttlMs, DEFAULTS.channel.history.ttlMs);
  });

  it('the environment over the file, option by option', () => {
    const c = loadConfig({ file: path, env });
    assert.equal(c.server.port, 2000);
    assert.equal(c.server.host, '127.0.0.1');
    assert.equal(c.channel.history.size, 5);
    assert.equal(c.channel.history.ttlMs, 60_000);
  });

  it('flags over everything', () => {
    const c = loadConfig({ file: path, env, flags });
    assert.equal(c.server.port, 3000);
    assert.equal(c.server.host, '127.0.0.1');
    assert.equal(c.channel.history.ttlMs, 60_000);
  });

  it('a later source replaces an array, not appends to it', () => {
    const c = loadConfig({
      file: file({ api: { keys: ['from-file'] } }),
      env: { SWITCHBOARD_API_KEY: 'from-env' },
    });
    assert.deepEqual(c.api.keys, ['from-env']);
  });

  it('finds the file through SWITCHBOARD_CONFIG; `file` (--config) wins over it', () => {
    const other = file({ server: { port: 4000 } });
    assert.equal(loadConfig({ env: { SWITCHBOARD_CONFIG: path } }).server.port, 1000);
    assert.equal(loadConfig({ file: other, env: { SWITCHBOARD_CONFIG: path } }).server.port, 4000);
  });
});

describe('environment variables', () => {
  it('set every option, by its path in SCREAMING_SNAKE_CASE, from strings', () => {
    const env = {
      SWITCHBOARD_SERVER_HOST: '127.0.0.1',
      SWITCHBOARD_SERVER_PORT: '9000',
      SWITCHBOARD_SERVER_MAX_CONNECTIONS: '50',
      SWITCHBOARD_SERVER_HEADERS_TIMEOUT: '5s',
      SWITCHBOARD_SERVER_REQUEST_TIMEOUT: '1m',
      SWITCHBOARD_SERVER_SHUTDOWN_TIMEOUT: '0',
      SWITCHBOARD_SERVER_INSPECTOR: 'false',
      SWITCHBOARD_SERVER_ALLOWED_ORIGINS: 'https://a.example, https://*.b.example',
      SWITCHBOARD_SERVER_PER_MESSAGE_DEFLATE: 'true',
      SWITCHBOARD_SERVER_COMPACT_FRAMES: 'false',
      SWITCHBOARD_SERVER_TLS_CERT: '/etc/switchboard/cert.pem',
      SWITCHBOARD_SERVER_TLS_KEY: '/etc/switchboard/key.pem',
      SWITCHBOARD_SERVER_HTTP2_MAX_CONCURRENT_STREAMS: '250',
      SWITCHBOARD_API_KEYS: 'k1, k2,,k1',
      SWITCHBOARD_API_PUBLISH_KEYS: 'p1,p2',
      SWITCHBOARD_AUTH_SECRET: 's'.repeat(32),
      SWITCHBOARD_AUTH_PUBLIC_KEY: '',
      SWITCHBOARD_AUTH_JWKS_URL: '',
      SWITCHBOARD_AUTH_JWKS_COOLDOWN: '1m',
      SWITCHBOARD_AUTH_ALGORITHMS: 'HS256,HS512',
      SWITCHBOARD_AUTH_AUDIENCE: 'hub',
      SWITCHBOARD_AUTH_ISSUER: 'https://issuer.example',
      SWITCHBOARD_AUTH_LEEWAY: '2s',
      SWITCHBOARD_AUTH_ANONYMOUS: 'true',
      SWITCHBOARD_AUTH_CONNECT_TIMEOUT: '3s',
      SWITCHBOARD_AUTH_COOKIE: 'tok',
      SWITCHBOARD_AUTH_SUBSCRIPTION_TOKEN_CHANNELS: 'private:*',
      SWITCHBOARD_AUTH_TICKET_TTL: '10s',
      SWITCHBOARD_API_MAX_BODY_SIZE: '2mb',
      SWITCHBOARD_ENGINE_URL: 'redis://localhost:6379',
      SWITCHBOARD_LIMITS_MAX_MESSAGE_SIZE: '32kb',
      SWITCHBOARD_LIMITS_MAX_FRAME_SIZE: '256KiB',
      SWITCHBOARD_LIMITS_MAX_CHANNELS_PER_CONNECTION: '16',
      SWITCHBOARD_LIMITS_MAX_CHANNEL_LENGTH: '64',
      SWITCHBOARD_LIMITS_MAX_OUTGOING_SIZE: '8mb',
      SWITCHBOARD_LIMITS_MAX_OUTGOING_TIME: '2500ms',
      SWITCHBOARD_LIMITS_MAX_TOTAL_OUTGOING_SIZE: '64mb',
      SWITCHBOARD_LIMITS_MAX_HISTORY_LIMIT: '50',
      SWITCHBOARD_LIMITS_CONNECTION_RATE: '10',
      SWITCHBOARD_LIMITS_COMMAND_RATE: '0',
      SWITCHBOARD_LIMITS_ERROR_RATE: '3',
      SWITCHBOARD_LIMITS_MAX_JSON_DEPTH: '16',
      SWITCHBOARD_LIMITS_HISTORY_READ_RATE: '2mb',
      SWITCHBOARD_LIMITS_ANONYMOUS_HISTORY_READ_RATE: '0',
      SWITCHBOARD_LIMITS_PUBLISH_RATE: '5',
      SWITCHBOARD_LIMITS_API_RATE: '1000',
      SWITCHBOARD_CHANNEL_HISTORY_SIZE: '0',
      SWITCHBOARD_CHANNEL_HISTORY_TTL: '10m',
      SWITCHBOARD_CHANNEL_HISTORY_META_TTL: '2d',
      SWITCHBOARD_CHANNEL_PRESENCE: '1',
      SWITCHBOARD_CHANNEL_JOIN_LEAVE: 'TRUE',
      SWITCHBOARD_CHANNEL_CLIENT_PUBLISH: 'true',
      SWITCHBOARD_CHANNEL_ECHO: 'false',
      SWITCHBOARD_CHANNEL_ANONYMOUS: '0',
      SWITCHBOARD_CHANNEL_MAX_SUBSCRIBERS: '500',
      SWITCHBOARD_CHANNEL_MAX_MESSAGE_SIZE: '16kb',
      SWITCHBOARD_CHANNEL_LAST_VALUE: '0',
      SWITCHBOARD_CHANNEL_DELIVERY_POLICY: 'latest',
      SWITCHBOARD_CHANNEL_DELIVERY_CONFLATE_KEY: 'symbol',
      SWITCHBOARD_CHANNEL_DELIVERY_QUEUE_SIZE: '20',
      SWITCHBOARD_CHANNEL_DELIVERY_MAX_RATE: '10',
      SWITCHBOARD_CHANNEL_PROXY_SUBSCRIBE: 'http://app.internal/hooks/subscribe',
      SWITCHBOARD_CHANNEL_PROXY_PUBLISH: 'http://app.internal/hooks/publish',
      SWITCHBOARD_CHANNEL_PROXY_RPC: 'https://app.internal/hooks/rpc',
      SWITCHBOARD_NAMESPACES: '{"chat":{"clientPublish":true,"history":{"ttl":"1h"}}}',
      SWITCHBOARD_HEARTBEAT_INTERVAL: '30s',
      SWITCHBOARD_HEARTBEAT_TIMEOUT: '20000',
      SWITCHBOARD_SSE_RETRY: '1.5s',
      SWITCHBOARD_IDEMPOTENCY_TTL: '1h',
      SWITCHBOARD_PUSHER_APP_ID: 'app-1',
      SWITCHBOARD_PUSHER_APP_KEY: 'key-1',
      SWITCHBOARD_PUSHER_APP_SECRET: 'secret-1',
      SWITCHBOARD_PUSHER_APP_WEBHOOK_URL: 'https://app.example/pusher/webhooks',
      SWITCHBOARD_PUSHER_APPS: '[{"id":"app-2","key":"key-2","secret":"secret-2"}]',
      SWITCHBOARD_PUSHER_CLIENT_EVENT_RATE: '20',
      SWITCHBOARD_PUSHER_MAX_PRESENCE_MEMBERS: '50',
      SWITCHBOARD_ADMIN_KEYS: 'a1,a2',
      SWITCHBOARD_METRICS_TOKEN: 'scrape-me',
      SWITCHBOARD_METRICS_PORT: '9091',
      SWITCHBOARD_METRICS_HOST: '0.0.0.0',
      SWITCHBOARD_PROXY_CONNECT: 'http://app.internal/hooks/connect',
      SWITCHBOARD_PROXY_REFRESH: 'http://app.internal/hooks/refresh',
      SWITCHBOARD_PROXY_TIMEOUT: '1s',
      SWITCHBOARD_PROXY_MAX_CONCURRENCY: '8',
      SWITCHBOARD_PROXY_HEADERS: 'cookie,x-tenant',
      SWITCHBOARD_PROXY_BREAKER_FAILURES: '3',
      SWITCHBOARD_PROXY_BREAKER_COOLDOWN: '10s',
      SWITCHBOARD_WEBHOOKS_URL: 'https://app.internal/webhooks',
      SWITCHBOARD_WEBHOOKS_SECRET: 'w'.repeat(32),
      SWITCHBOARD_WEBHOOKS_EVENTS: 'channel_occupied,client_event',
      SWITCHBOARD_WEBHOOKS_BATCH_SIZE: '10',
      SWITCHBOARD_WEBHOOKS_MAX_QUEUE: '500',
      SWITCHBOARD_WEBHOOKS_MAX_ATTEMPTS: '3',
      SWITCHBOARD_WEBHOOKS_TIMEOUT: '2s',
      SWITCHBOARD_LOG_LEVEL: 'debug',
      SWITCHBOARD_STRICT_ENV: 'true',
    };
    assert.deepEqual(
      FIELDS.map((i) => i.env).sort(),
      Object.keys(env).sort(),
      'this test names every variable',
    );
    assert.deepEqual(loadConfig({ env }), {
      server: {
        host: '127.0.0.1',
        port: 9000,
        maxConnections: 50,
        headersTimeoutMs: 5_000,
        requestTimeoutMs: 60_000,
        shutdownTimeoutMs: 0,
        inspector: false,
        allowedOrigins: ['https://a.example', 'https://*.b.example'],
        perMessageDeflate: true,
        compactFrames: false,
        tls: { cert: '/etc/switchboard/cert.pem', key: '/etc/switchboard/key.pem' },
        http2: { maxConcurrentStreams: 250 },
      },
      api: { keys: ['k1', 'k2'], publishKeys: ['p1', 'p2'], maxBodyBytes: 2 * 1024 * 1024 },
      auth: {
        secret: 's'.repeat(32),
        publicKey: '',
        jwksUrl: '',
        jwksCooldownMs: 60_000,
        algorithms: ['HS256', 'HS512'],
        audience: 'hub',
        issuer: 'https://issuer.example',
        leewayMs: 2_000,
        anonymous: true,
        connectTimeoutMs: 3_000,
        cookie: 'tok',
        subscriptionTokenChannels: ['private:*'],
        ticketTtlMs: 10_000,
      },
      engine: { url: 'redis://localhost:6379' },
      limits: {
        maxMessageBytes: 32 * 1024,
        maxFrameBytes: 256 * 1024,
        maxChannelsPerConnection: 16,
        maxChannelLength: 64,
        maxOutgoingBytes: 8 * 1024 * 1024,
        maxOutgoingMs: 2_500,
        maxTotalOutgoingBytes: 64 * 1024 * 1024,
        maxHistoryLimit: 50,
        connectionRate: 10,
        commandRate: 0,
        errorRate: 3,
        maxJsonDepth: 16,
        historyReadRate: 2 * 1024 * 1024,
        anonymousHistoryReadRate: 0,
        publishRate: 5,
        apiRate: 1_000,
      },
      channel: {
        history: { size: 0, ttlMs: 600_000, metaTtlMs: 2 * 86_400_000 },
        presence: true,
        joinLeave: true,
        clientPublish: true,
        echo: false,
        anonymous: false,
        maxSubscribers: 500,
        maxMessageBytes: 16 * 1024,
        lastValue: false,
        delivery: { policy: 'latest', conflateKey: 'symbol', queueSize: 20, maxRate: 10 },
        proxy: {
          subscribe: 'http://app.internal/hooks/subscribe',
          publish: 'http://app.internal/hooks/publish',
          rpc: 'https://app.internal/hooks/rpc',
        },
      },
      namespaces: { chat: { clientPublish: true, history: { ttlMs: 3_600_000 } } },
      heartbeat: { intervalMs: 30_000, timeoutMs: 20_000 },
      sse: { retryMs: 1_500 },
      idempotency: { ttlMs: 3_600_000 },
      pusher: {
        appId: 'app-1',
        appKey: 'key-1',
        appSecret: 'secret-1',
        appWebhookUrl: 'https://app.example/pusher/webhooks',
        apps: [{ id: 'app-2', key: 'key-2', secret: 'secret-2' }],
        clientEventRate: 20,
        maxPresenceMembers: 50,
      },
      admin: { keys: ['a1', 'a2'] },
      metrics: { token: 'scrape-me', port: 9091, host: '0.0.0.0' },
      proxy: {
        connect: 'http://app.internal/hooks/connect',
        refresh: 'http://app.internal/hooks/refresh',
        timeoutMs: 1_000,
        maxConcurrency: 8,
        headers: ['cookie', 'x-tenant'],
        breakerFailures: 3,
        breakerCooldownMs: 10_000,
      },
      webhooks: {
        url: 'https://app.internal/webhooks',
        secret: 'w'.repeat(32),
        events: ['channel_occupied', 'client_event'],
        batchSize: 10,
        maxQueue: 500,
        maxAttempts: 3,
        timeoutMs: 2_000,
      },
      log: { level: 'debug' },
      strictEnv: true,
    });
  });

  it('short aliases: PORT, HOST, SWITCHBOARD_API_KEY, SWITCHBOARD_ENGINE', () => {
    const c = loadConfig({
      env: { PORT: '3000', HOST: '::', SWITCHBOARD_API_KEY: 'only-key', SWITCHBOARD_ENGINE: 'nats://n:4222' },
    });
    assert.equal(c.server.port, 3000);
    assert.equal(c.server.host, '::');
    assert.deepEqual(c.api.keys, ['only-key']);
    assert.equal(c.engine.url, 'nats://n:4222');
  });

  it('the long name wins over its alias', () => {
    const c = loadConfig({
      env: { PORT: '3000', SWITCHBOARD_SERVER_PORT: '4000', HOST: 'a', SWITCHBOARD_SERVER_HOST: 'b' },
    });
    assert.equal(c.server.port, 4000);
    assert.equal(c.server.host, 'b');
  });

  it('SWITCHBOARD_API_KEY and SWITCHBOARD_API_KEYS together give all their keys', () => {
    const c = loadConfig({ env: { SWITCHBOARD_API_KEYS: 'a,b', SWITCHBOARD_API_KEY: 'c' } });
    assert.deepEqual(c.api.keys, ['a', 'b', 'c']);
  });

  it('empty and blank values count as unset; values are trimmed', () => {
    const c = loadConfig({
      env: { SWITCHBOARD_SERVER_PORT: '', PORT: '  ', SWITCHBOARD_LOG_LEVEL: ' warn ' },
    });
    assert.equal(c.server.port, DEFAULTS.server.port);
    assert.equal(c.log.level, 'warn');
  });

  it('booleans read true/false/1/0 in any case, and nothing else', () => {
    for (const [text, bool] of [
      ['true', true],
      ['FALSE', false],
      ['1', true],
      ['0', false],
    ] as const)
      assert.equal(loadConfig({ env: { SWITCHBOARD_SERVER_INSPECTOR: text } }).server.inspector, bool);
    problem(
      { env: { SWITCHBOARD_SERVER_INSPECTOR: 'yes' } },
      /^environment SWITCHBOARD_SERVER_INSPECTOR: expected true or false \(or 1 \/ 0\), got "yes"$/,
    );
  });

  it('integers: digits only, within range', () => {
    for (const bad of ['80.5', 'eighty', '65536', '-1', '0x50'])
      problem(
        { env: { SWITCHBOARD_SERVER_PORT: bad } },
        new RegExp(`^environment SWITCHBOARD_SERVER_PORT: must be an integer 0\\.\\.65535, got "${bad}"$`),
      );
    problem(
      { env: { SWITCHBOARD_SERVER_MAX_CONNECTIONS: '0' } },
      /^environment SWITCHBOARD_SERVER_MAX_CONNECTIONS: must be an integer >= 1, got "0"$/,
    );
  });

  it('an unknown SWITCHBOARD_* variable is a warning, with a guess at what was meant, and is ignored', () => {
    const r = resolveConfig({
      env: {
        SWITCHBOARD_SERVER_PROT: '1',
        SWITCHBOARD_NONSENSE: '1',
        SWITCHBOARD_PORT: '3000',
        SWITCHBOARD_HOST: '127.0.0.1',
        SWITCHBOARD_LIMITS_MAX_MESSAGE_BYTES: '1',
      },
    });
    assert.deepEqual(r.config, DEFAULTS);
    assert.deepEqual(r.warnings, [
      'environment SWITCHBOARD_HOST: unknown variable, ignored (did you mean SWITCHBOARD_SERVER_HOST (or HOST)?); see docs/configuration.md',
      'environment SWITCHBOARD_LIMITS_MAX_MESSAGE_BYTES: unknown variable, ignored (did you mean SWITCHBOARD_LIMITS_MAX_MESSAGE_SIZE?); see docs/configuration.md',
      'environment SWITCHBOARD_NONSENSE: unknown variable, ignored; see docs/configuration.md',
      'environment SWITCHBOARD_PORT: unknown variable, ignored (did you mean SWITCHBOARD_SERVER_PORT (or PORT)?); see docs/configuration.md',
      'environment SWITCHBOARD_SERVER_PROT: unknown variable, ignored (did you mean SWITCHBOARD_SERVER_PORT?); see docs/configuration.md',
    ]);
    assert.equal(r.serviceLinks.size, 0);
  });

  it('under strictEnv, from any source, an unknown SWITCHBOARD_* variable is an error', () => {
    const typo = { SWITCHBOARD_SERVER_PROT: '1' };
    const line =
      'environment SWITCHBOARD_SERVER_PROT: unknown variable (did you mean SWITCHBOARD_SERVER_PORT?); see docs/configuration.md';
    assert.deepEqual(problems({ env: { ...typo, SWITCHBOARD_STRICT_ENV: 'true' } }), [line]);
    assert.deepEqual(problems({ env: typo, file: file({ strictEnv: true }) }), [line]);
    assert.deepEqual(problems({ env: typo, flags: { strictEnv: true } }), [line]);
    assert.deepEqual(problems({ env: { SWITCHBOARD_PORT: '8080' }, flags: { strictEnv: true } }), [
      'environment SWITCHBOARD_PORT: unknown variable (did you mean SWITCHBOARD_SERVER_PORT (or PORT)?); see docs/configuration.md',
    ]);
    // The flag (`--no-strict-env`) wins over the environment, as every flag does.
    const lenient = resolveConfig({
      env: { ...typo, SWITCHBOARD_STRICT_ENV: 'true' },
      flags: { strictEnv: false },
    });
    assert.equal(lenient.config.strictEnv, false);
    assert.equal(lenient.warnings.length, 1);
  });

  it('the allow-list and variables without the prefix are not errors', () => {
    assert.deepEqual(
      loadConfig({
        env: { SWITCHBOARD_TEST_LOG: 'debug', PATH: '/bin', NODE_ENV: 'production', switchboard_x: '1' },
      }),
      DEFAULTS,
    );
  });
});

describe('unit formats', () => {
  const durations: [unknown, number][] = [
    [250, 250],
    ['250', 250],
    ['500ms', 500],
    ['25s', 25_000],
    ['2.5s', 2_500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
  ];
  for (const [raw, ms] of durations)
    it(`duration ${JSON.stringify(raw)} is ${ms}ms (file and environment)`, () => {
      assert.equal(loadConfig({ file: file({ idempotency: { ttl: raw } }) }).idempotency.ttlMs, ms);
      assert.equal(loadConfig({ env: { SWITCHBOARD_IDEMPOTENCY_TTL: String(raw) } }).idempotency.ttlMs, ms);
    });

  const sizes: [unknown, number][] = [
    [2048, 2048],
    ['2048', 2048],
    ['2048b', 2048],
    ['64kb', 64 * 1024],
    ['64KB', 64 * 1024],
    ['64KiB', 64 * 1024],
    ['1mb', 1024 * 1024],
    ['4MiB', 4 * 1024 * 1024],
    ['0.5mb', 512 * 1024],
    ['1gb', 1024 ** 3],
  ];
  for (const [raw, bytes] of sizes)
    it(`size ${JSON.stringify(raw)} is ${bytes} bytes (file and environment)`, () => {
      assert.equal(loadConfig({ file: file({ limits: { maxFrameSize: raw } }) }).limits.maxFrameBytes, bytes);
      const env = { SWITCHBOARD_LIMITS_MAX_FRAME_SIZE: String(raw) };
      assert.equal(loadConfig({ env }).limits.maxFrameBytes, bytes);
    });

  it('bad durations say what was expected and what was given', () => {
    const path = file({
      server: { headersTimeout: 'soon', shutdownTimeout: -1 },
      heartbeat: { interval: 25 },
      idempotency: { ttl: '30d' },
      sse: { retry: '1.5ms' },
    });
    assert.deepEqual(problems({ file: path }), [
      `config file ${path}: server.headersTimeout: expected a duration like "25s", got "soon"`,
      `config file ${path}: server.shutdownTimeout: not a whole, non-negative number of milliseconds, got -1`,
      `config file ${path}: heartbeat.interval: must be at least 100ms, got 25`,
      `config file ${path}: sse.retry: 1.5ms is not a whole number of milliseconds, got "1.5ms"`,
      `config file ${path}: idempotency.ttl: must be at most 2147483647ms (about 24.8 days, the longest timer Node.js can set), got "30d"`,
    ]);
  });

  it('bad sizes say what was expected and what was given', () => {
    const path = file({ limits: { maxMessageSize: 'lots', maxFrameSize: '512b', maxOutgoingSize: '2gb' } });
    assert.deepEqual(problems({ file: path }), [
      `config file ${path}: limits.maxMessageSize: expected a size like "64kb", got "lots"`,
      `config file ${path}: limits.maxFrameSize: must be at least 1kb, got "512b"`,
      `config file ${path}: limits.maxOutgoingSize: must be at most 1gb, got "2gb"`,
    ]);
  });
});

describe('other values', () => {
  it('log.level is one of the pino levels', () => {
    problem(
      { flags: { log: { level: 'verbose' } } },
      /^flag --log-level: expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"$/,
    );
  });

  it('engine.url is memory or a redis/nats URL, and a password in it is never echoed', () => {
    assert.equal(loadConfig({ flags: { engine: { url: 'memory' } } }).engine.url, 'memory');
    const lines = problems({ env: { SWITCHBOARD_ENGINE: 'postgres://u:hunter2@db/x' } });
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /^environment SWITCHBOARD_ENGINE: expected "memory" or a redis:\/\/, rediss:\/\/, redis\+sentinel:\/\/, redis\+cluster:\/\/ or nats:\/\/ URL/,
    );
    assert.ok(!lines[0]!.includes('hunter2'));
    const sentinel = 'redis+sentinel://u:hunter2@s1:26379,s2:26379/mymaster';
    assert.equal(loadConfig({ flags: { engine: { url: sentinel } } }).engine.url, sentinel);
    const cluster = 'redis+cluster://:hunter2@n1:7000,n2:7000';
    assert.equal(loadConfig({ flags: { engine: { url: cluster } } }).engine.url, cluster);
    const unparsable = problems({ env: { SWITCHBOARD_ENGINE: 'sentinel://u:hunter2@s1,s2/m' } });
    assert.equal(unparsable.length, 1);
    assert.ok(!unparsable[0]!.includes('hunter2'), unparsable[0]);
    // Banners and check-config print the engine URL through redactUrl, Sentinel and Cluster lists included.
    assert.equal(redactUrl(sentinel), 'redis+sentinel://u:redacted@s1:26379,s2:26379/mymaster');
    assert.equal(redactUrl(cluster), 'redis+cluster://:redacted@n1:7000,n2:7000');
  });

  it('an API key with spaces or commas is refused without being echoed', () => {
    const lines = problems({ file: file({ api: { keys: ['good', 'bad secret'] } }) });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /api\.keys: key 2 of 2 must be a non-empty string of visible ASCII/);
    assert.ok(!lines[0]!.includes('bad secret'));
  });

  it('server.host refuses blanks and non-strings', () => {
    problem({ flags: { server: { host: 'my host' } } }, /^flag --host: expected a host name or IP address/);
    problem(
      { file: file({ server: { host: 8080 } }) },
      /server\.host: expected a host name or IP address .*got 8080$/,
    );
  });
});

describe('unknown keys and wrong shapes in the file', () => {
  it('reports every unknown key with its full path and a guess', () => {
    const path = file({
      servr: {},
      server: { prot: 80 },
      channel: { history: { sise: 1 } },
      limits: { zzz: 1 },
    });
    assert.deepEqual(problems({ file: path }), [
      `config file ${path}: server.prot: unknown option (did you mean server.port?)`,
      `config file ${path}: limits.zzz: unknown option`,
      `config file ${path}: channel.history.sise: unknown option (did you mean channel.history.size?)`,
      `config file ${path}: servr: unknown option (did you mean server?)`,
    ]);
  });

  it('the Config name of an option (with its unit) is not the raw name', () => {
    problem(
      { file: file({ limits: { maxMessageBytes: 1024 } }) },
      /limits\.maxMessageBytes: unknown option \(did you mean limits\.maxMessageSize\?\)$/,
    );
  });

  it('an object where a section belongs', () => {
    const path = file({ server: 5, heartbeat: null });
    assert.deepEqual(problems({ file: path }), [
      `config file ${path}: server: expected an object, got 5`,
      `config file ${path}: heartbeat: expected an object, got null`,
    ]);
  });

  it('unknown keys in flags given programmatically are caught too', () => {
    problem(
      { flags: { server: { porT: 1 } } },
      /^flags: server\.porT: unknown option \(did you mean server\.port\?\)$/,
    );
  });
});

describe('file problems', () => {
  it('a missing file', () => {
    const path = join(dir, 'missing.json');
    assert.deepEqual(problems({ file: path }), [`config file ${path}: cannot read it: no such file`]);
  });

  it('a directory', () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    assert.deepEqual(problems({ file: path }), [`config file ${path}: cannot read it: it is a directory`]);
  });

  it('invalid JSON, with the position', () => {
    const path = file('{"server": {"port": 1,}}');
    problem({ file: path }, /^config file .*: not valid JSON: .*position 22/);
  });

  it('an empty file', () => {
    problem({ file: file('') }, /: not valid JSON: /);
  });

  it('JSON that is not an object', () => {
    const path = file([1, 2]);
    assert.deepEqual(problems({ file: path }), [
      `config file ${path}: expected an object at the top level, got an array`,
    ]);
  });

  it('a byte-order mark is fine', () => {
    assert.equal(loadConfig({ file: file('\uFEFF{"server":{"port":1234}}') }).server.port, 1234);
  });
});

describe('impossible combinations', () => {
  it('channel.joinLeave without channel.presence', () => {
    problem(
      { file: file({ channel: { joinLeave: true, presence: false } }) },
      /^config file .*: channel\.joinLeave \(true\) needs channel\.presence \(false\) to be true: join and leave frames come from presence tracking$/,
    );
  });

  it('limits.maxOutgoingSize below limits.maxMessageSize', () => {
    problem(
      { env: { SWITCHBOARD_LIMITS_MAX_OUTGOING_SIZE: '32kb' } },
      /^environment SWITCHBOARD_LIMITS_MAX_OUTGOING_SIZE: limits\.maxOutgoingSize \(32kb\) must be at least limits\.maxMessageSize \(64kb by default\): a connection must be able to queue one whole message$/,
    );
  });

  it('api.maxBodySize below limits.maxMessageSize', () => {
    problem(
      { flags: { api: { maxBodySize: '32kb' } } },
      /^flags: api\.maxBodySize \(32kb\) must be at least limits\.maxMessageSize \(64kb by default\): an HTTP publish carries the message in its body$/,
    );
  });

  it('limits.maxFrameSize below limits.maxMessageSize, only when clients may publish', () => {
    const limits = { maxMessageSize: '256kb', maxFrameSize: '128kb' };
    assert.equal(loadConfig({ file: file({ limits }) }).limits.maxFrameBytes, 128 * 1024);
    problem(
      { file: file({ limits }), flags: { channel: { clientPublish: true } } },
      /^flag --allow-client-publish: limits\.maxFrameSize \(128kb from config file .*\) must be at least limits\.maxMessageSize \(256kb from config file .*\) when channel\.clientPublish \(true\): a client publish carries the message in one frame$/,
    );
  });

  it('heartbeat.timeout not below heartbeat.interval', () => {
    for (const timeout of ['15s', '20s'])
      problem(
        { env: { SWITCHBOARD_HEARTBEAT_TIMEOUT: timeout } },
        new RegExp(
          `^environment SWITCHBOARD_HEARTBEAT_TIMEOUT: heartbeat\\.timeout \\(${timeout}\\) must be less than heartbeat\\.interval \\(15s by default\\)`,
        ),
      );
  });

  it('server.headersTimeout above server.requestTimeout', () => {
    problem(
      { file: file({ server: { headersTimeout: '1m' } }) },
      /server\.headersTimeout \(1m\) must not exceed server\.requestTimeout \(30s by default\): the headers are part of the request/,
    );
  });

  it('channel.history.metaTtl below channel.history.ttl', () => {
    problem(
      { file: file({ channel: { history: { ttl: '2d' } } }) },
      /channel\.history\.metaTtl \(1d by default\) must be at least channel\.history\.ttl \(2d\)/,
    );
  });

  it('are attributed to the source with the highest precedence, naming where the other values came from', () => {
    problem(
      { file: file({ channel: { presence: false } }), env: { SWITCHBOARD_CHANNEL_JOIN_LEAVE: '1' } },
      /^environment SWITCHBOARD_CHANNEL_JOIN_LEAVE: channel\.joinLeave \(true\) needs channel\.presence \(false from config file .*\) to be true/,
    );
    problem(
      { env: { SWITCHBOARD_CHANNEL_JOIN_LEAVE: '1' }, flags: { channel: { presence: false } } },
      /^flag --no-presence: channel\.joinLeave \(true from environment SWITCHBOARD_CHANNEL_JOIN_LEAVE\) needs channel\.presence \(false\)/,
    );
  });

  it('a later source can resolve a conflict of an earlier one', () => {
    const path = file({ channel: { joinLeave: true, presence: false } });
    assert.equal(
      loadConfig({ file: path, env: { SWITCHBOARD_CHANNEL_PRESENCE: 'true' } }).channel.joinLeave,
      true,
    );
  });

  it('are not checked over a value that is itself invalid (that would only repeat the mistake)', () => {
    const lines = problems({ file: file({ channel: { joinLeave: true, presence: 'nope' } }) });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /channel\.presence: expected true or false/);
  });
});

describe('namespaces', () => {
  it('take the options of the channel section, in the same raw names and units', () => {
    const c = loadConfig({
      file: file({
        namespaces: {
          chat: { clientPublish: true, echo: false, history: { size: 500, ttl: '1h' } },
          quotes: { delivery: { policy: 'latest', conflateKey: 'symbol', maxRate: 10 }, lastValue: true },
          danmaku: { delivery: { policy: 'drop-oldest', queueSize: 50 }, maxMessageSize: '1kb' },
        },
      }),
    });
    assert.deepEqual(c.namespaces, {
      chat: { clientPublish: true, echo: false, history: { size: 500, ttlMs: 3_600_000 } },
      quotes: { delivery: { policy: 'latest', conflateKey: 'symbol', maxRate: 10 }, lastValue: true },
      danmaku: { delivery: { policy: 'drop-oldest', queueSize: 50 }, maxMessageBytes: 1024 },
    });
  });

  it('from the environment as JSON, merged over the file namespace by namespace and option by option', () => {
    const c = loadConfig({
      file: file({
        namespaces: { chat: { clientPublish: true, presence: false }, feed: { lastValue: true } },
      }),
      env: { SWITCHBOARD_NAMESPACES: '{"chat":{"presence":true}}' },
    });
    assert.deepEqual(c.namespaces, {
      chat: { clientPublish: true, presence: true },
      feed: { lastValue: true },
    });
    problem(
      { env: { SWITCHBOARD_NAMESPACES: '{chat' } },
      /^environment SWITCHBOARD_NAMESPACES: expected a JSON object of namespaces, got "\{chat"$/,
    );
  });

  it('refuse unknown options with a guess, bad values, bad names and non-objects, each on its own line', () => {
    const lines = problems({
      file: file({
        namespaces: {
          chat: { presense: true, delivery: { polcy: 'latest' } },
          quotes: { delivery: { policy: 'newest' } },
          'a:b': {},
          feed: 5,
        },
      }),
    });
    assert.deepEqual(
      lines.map((l) => l.replace(/^config file [^:]*: /, '')),
      [
        'namespaces.chat.delivery.polcy: unknown option (did you mean namespaces.chat.delivery.policy?)',
        'namespaces.chat.presense: unknown option (did you mean namespaces.chat.presence?)',
        'namespaces.quotes.delivery.policy: expected one of all, latest, drop-oldest, got "newest"',
        'namespaces.a:b: a namespace name is 1 to 64 characters from [A-Za-z0-9_-.@#=/,] (no ":")',
        'namespaces.feed: expected an object, got 5',
      ],
    );
  });

  it('refuse impossible combinations, naming what was inherited from the default namespace', () => {
    const lines = problems({
      file: file({
        channel: { presence: false, history: { size: 0 } },
        namespaces: {
          chat: { joinLeave: true },
          quotes: { delivery: { maxRate: 10 }, lastValue: true },
          ticks: { delivery: { policy: 'drop-oldest', conflateKey: 'symbol' } },
          big: { maxMessageSize: '1mb' },
        },
      }),
    });
    assert.deepEqual(
      lines.map((l) => l.replace(/^config file [^:]*: /, '')),
      [
        'namespaces.chat.joinLeave (true) needs namespaces.chat.presence (false, from channel.presence) to be true: join and leave frames come from presence tracking',
        'namespaces.quotes.delivery.maxRate (10) needs namespaces.quotes.delivery.policy ("all", from channel.delivery.policy) to be "latest" or "drop-oldest": a rate cap must leave publications out, which "all" never does',
        'namespaces.quotes.lastValue (true) needs namespaces.quotes.history.size (0, from channel.history.size) to be at least 1: the last value is read from history',
        'namespaces.ticks.delivery.conflateKey ("symbol") needs namespaces.ticks.delivery.policy ("drop-oldest") to be "latest": only conflation keeps a latest value per key',
        'namespaces.big.maxMessageSize (1mb) must not exceed limits.maxMessageSize (64kb by default): the hub-wide limit bounds every namespace (and the buffers sized by it)',
      ],
    );
  });

  it('the default namespace is held to the same combinations', () => {
    problem(
      { env: { SWITCHBOARD_CHANNEL_DELIVERY_MAX_RATE: '5' } },
      /^environment SWITCHBOARD_CHANNEL_DELIVERY_MAX_RATE: channel\.delivery\.maxRate \(5\) needs channel\.delivery\.policy \("all" by default\) to be "latest" or "drop-oldest"/,
    );
    problem(
      { file: file({ channel: { lastValue: true, history: { size: 0 } } }) },
      /channel\.lastValue \(true\) needs channel\.history\.size \(0\) to be at least 1/,
    );
    problem(
      { file: file({ channel: { delivery: { conflateKey: 'k' } } }) },
      /channel\.delivery\.conflateKey \("k"\) needs channel\.delivery\.policy \("all" by default\) to be "latest"/,
    );
  });
});

describe('the multi-problem message', () => {
  it('lists every problem of every source, one per line: file, environment, flags, then combinations', () => {
    const path = file({ server: { port: 'x', prot: 1 }, limits: { maxMessageSize: 'lots' } });
    let caught: unknown;
    try {
      loadConfig({
        file: path,
        env: {
          SWITCHBOARD_SERVER_PORT: '99999',
          SWITCHBOARD_SERVR_HOST: 'x',
          SWITCHBOARD_CHANNEL_PRESENCE: 'false',
          SWITCHBOARD_API_KEY: 'not,one',
        },
        flags: {
          log: { level: 'loud' },
          heartbeat: { timeout: '1m' },
          channel: { joinLeave: true },
          strictEnv: true,
        },
      });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof ConfigError);
    assert.equal(
      caught.message,
      [
        `config file ${path}: server.port: must be an integer 0..65535, got "x"`,
        `config file ${path}: server.prot: unknown option (did you mean server.port?)`,
        `config file ${path}: limits.maxMessageSize: expected a size like "64kb", got "lots"`,
        'environment SWITCHBOARD_SERVER_PORT: must be an integer 0..65535, got "99999"',
        'environment SWITCHBOARD_API_KEY: key 1 of 1 must be a non-empty string of visible ASCII characters without spaces or commas (value not shown)',
        'environment SWITCHBOARD_SERVR_HOST: unknown variable (did you mean SWITCHBOARD_SERVER_HOST?); see docs/configuration.md',
        'flag --log-level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
        'flags: channel.joinLeave (true) needs channel.presence (false from environment SWITCHBOARD_CHANNEL_PRESENCE) to be true: join and leave frames come from presence tracking',
        'flags: heartbeat.timeout (1m) must be less than heartbeat.interval (15s by default): every ping restarts the wait, so a silent peer would never be dropped',
      ].join('\n'),
    );
    assert.deepEqual(caught.warnings, []);
  });

  it('carries the warnings too when strictEnv is off, so one report shows everything', () => {
    let caught: unknown;
    try {
      loadConfig({ env: { SWITCHBOARD_SERVER_PORT: 'http', SWITCHBOARD_LOGLEVEL: 'debug' } });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof ConfigError);
    assert.deepEqual(caught.problems, [
      'environment SWITCHBOARD_SERVER_PORT: must be an integer 0..65535, got "http"',
    ]);
    assert.deepEqual(caught.warnings, [
      'environment SWITCHBOARD_LOGLEVEL: unknown variable, ignored (did you mean SWITCHBOARD_LOG_LEVEL?); see docs/configuration.md',
    ]);
  });
});

describe('auth and hardening options', () => {
  it('refuse unusable keys, origins and patterns at start-up, never echoing a secret', () => {
    const secret = 'too-short-secret';
    const lines = problems({
      env: {
        SWITCHBOARD_AUTH_SECRET: secret,
        SWITCHBOARD_SERVER_ALLOWED_ORIGINS: 'https://ok.example,example.com',
        SWITCHBOARD_AUTH_SUBSCRIPTION_TOKEN_CHANNELS: 'bad pattern',
        SWITCHBOARD_AUTH_ALGORITHMS: 'none',
      },
    });
    const text = lines.join('\n');
    assert.match(text, /SWITCHBOARD_SERVER_ALLOWED_ORIGINS: item 2: an origin is like/);
    assert.match(text, /SWITCHBOARD_AUTH_SUBSCRIPTION_TOKEN_CHANNELS: item 1/);
    assert.match(text, /SWITCHBOARD_AUTH_ALGORITHMS: item 1: expected one of HS256/);
    assert.ok(!text.includes(secret));
    const both = problems({
      env: { SWITCHBOARD_AUTH_SECRET: 'x'.repeat(32), SWITCHBOARD_AUTH_JWKS_URL: 'https://k.example/jwks' },
    });
    assert.match(both.join('\n'), /only one of auth\.secret, auth\.publicKey and auth\.jwksUrl/);
    const short = problems({ env: { SWITCHBOARD_AUTH_SECRET: secret } });
    assert.match(short.join('\n'), /at least 32 bytes/);
    assert.ok(!short.join('\n').includes(secret));
  });

  it('refuse a key that is both full-control and publish-only', () => {
    const lines = problems({ env: { SWITCHBOARD_API_KEYS: 'k1', SWITCHBOARD_API_PUBLISH_KEYS: 'k1' } });
    assert.match(lines.join('\n'), /cannot be both a publish key and a full-control key/);
  });
});

describe('Kubernetes service links (Services named switchboard…)', () => {
  const switchboard = {
    SWITCHBOARD_SERVICE_HOST: '10.0.0.12',
    SWITCHBOARD_SERVICE_PORT: '8080',
    SWITCHBOARD_PORT: 'tcp://10.0.0.12:8080',
    SWITCHBOARD_PORT_8080_TCP: 'tcp://10.0.0.12:8080',
    SWITCHBOARD_PORT_8080_TCP_PROTO: 'tcp',
    SWITCHBOARD_PORT_8080_TCP_PORT: '8080',
    SWITCHBOARD_PORT_8080_TCP_ADDR: '10.0.0.12',
  };
  const server = {
    SWITCHBOARD_SERVER_SERVICE_HOST: '10.0.0.13',
    SWITCHBOARD_SERVER_SERVICE_PORT: '80',
    SWITCHBOARD_SERVER_PORT: 'tcp://10.0.0.13:80',
  };

  it('are ignored, even under strictEnv, and reported apart from the warnings', () => {
    for (const strict of [false, true]) {
      const r = resolveConfig({ env: { ...switchboard, ...server }, flags: { strictEnv: strict } });
      assert.deepEqual(r.config, { ...DEFAULTS, strictEnv: strict });
      assert.deepEqual(r.warnings, []);
      assert.deepEqual([...r.serviceLinks.keys()].sort(), Object.keys({ ...switchboard, ...server }).sort());
    }
  });

  it('a link over an option name (SWITCHBOARD_SERVER_PORT) is not read: the alias PORT still sets the port', () => {
    assert.equal(loadConfig({ env: { ...server, PORT: '3000' } }).server.port, 3000);
  });

  it('a value the pod spec sets over a link name is an option again', () => {
    const r = resolveConfig({ env: { ...server, SWITCHBOARD_SERVER_PORT: '3000' } });
    assert.equal(r.config.server.port, 3000);
    assert.ok(!r.serviceLinks.has('SWITCHBOARD_SERVER_PORT'));
    assert.ok(r.serviceLinks.has('SWITCHBOARD_SERVER_SERVICE_HOST'));
  });

  it('a typo beside the links is still a warning, or an error under strictEnv', () => {
    const env = { ...switchboard, SWITCHBOARD_LOGLEVEL: 'debug' };
    const line = (ignored: string) =>
      `environment SWITCHBOARD_LOGLEVEL: unknown variable${ignored} (did you mean SWITCHBOARD_LOG_LEVEL?); see docs/configuration.md`;
    assert.deepEqual(resolveConfig({ env }).warnings, [line(', ignored')]);
    assert.deepEqual(problems({ env, flags: { strictEnv: true } }), [line('')]);
  });
});

describe('pusher apps', () => {
  it('come from the environment (one app) and the file (more), and go live together', () => {
    const config = loadConfig({
      env: {
        SWITCHBOARD_PUSHER_APP_ID: 'a1',
        SWITCHBOARD_PUSHER_APP_KEY: 'k1',
        SWITCHBOARD_PUSHER_APP_SECRET: 's1',
      },
    });
    assert.deepEqual(pusherAppsOf(config), [{ id: 'a1', key: 'k1', secret: 's1' }]);
  });

  it('refuse an app set in part, a repeated key, and an app without a secret, never echoing secrets', () => {
    assert.throws(
      () => loadConfig({ env: { SWITCHBOARD_PUSHER_APP_ID: 'a1', SWITCHBOARD_PUSHER_APP_KEY: 'k1' } }),
      /set together or not at all/,
    );
    assert.throws(
      () =>
        loadConfig({
          env: {
            SWITCHBOARD_PUSHER_APPS:
              '[{"id":"a","key":"k","secret":"top-secret"},{"id":"b","key":"k","secret":"x"}]',
          },
        }),
      (e: Error) => /id or the key of an earlier app/.test(e.message) && !e.message.includes('top-secret'),
    );
    assert.throws(
      () => loadConfig({ env: { SWITCHBOARD_PUSHER_APPS: '[{"id":"a","key":"k","secret":""}]' } }),
      /non-empty secret/,
    );
  });
});

describe('server.tls', () => {
  it('takes a certificate and its key together, by flag or variable', () => {
    const config = loadConfig({ flags: { server: { tls: { cert: 'c.pem', key: 'k.pem' } } } });
    assert.deepEqual(config.server.tls, { cert: 'c.pem', key: 'k.pem' });
    assert.throws(
      () => loadConfig({ env: { SWITCHBOARD_SERVER_TLS_CERT: 'c.pem' } }),
      /SWITCHBOARD_SERVER_TLS_CERT: server\.tls\.cert \("c\.pem"\) and server\.tls\.key \("" by default\) are set together or not at all/,
    );
    assert.throws(
      () => loadConfig({ env: { SWITCHBOARD_SERVER_HTTP2_MAX_CONCURRENT_STREAMS: '10' } }),
      /SWITCHBOARD_SERVER_HTTP2_MAX_CONCURRENT_STREAMS: must be an integer 100\.\.10000, got "10"/,
    );
  });
});
