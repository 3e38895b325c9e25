import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULTS } from './defaults.ts';
import { setAt } from './env.ts';
import { configSchema, envName, FIELDS, layerSchema } from './schema.ts';

/** Dotted paths of every leaf of DEFAULTS (arrays and the `namespaces` map are leaves). */
function leafPaths(tree: object, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && `${prefix}${k}` !== 'namespaces'
      ? leafPaths(v, `${prefix}${k}.`)
      : [`${prefix}${k}`],
  );
}

function at(tree: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], tree);
}

describe('SPEC', () => {
  it('has one raw option for every leaf of Config, in DEFAULTS order', () => {
    assert.deepEqual(
      FIELDS.map((i) => i.path),
      leafPaths(DEFAULTS),
    );
  });

  it('maps each raw option onto its Config path', () => {
    for (const info of FIELDS) {
      const raw: Record<string, unknown> = {};
      setAt(raw, info.raw, at(DEFAULTS, info.path));
      const layer = layerSchema.parse(raw);
      assert.deepEqual(
        layer,
        (() => {
          const expected: Record<string, unknown> = {};
          setAt(expected, info.path, at(DEFAULTS, info.path));
          return expected;
        })(),
        info.raw,
      );
    }
  });

  it('raw names carry no unit suffix; units go in the values', () => {
    for (const { raw } of FIELDS) assert.doesNotMatch(raw, /(Ms|Bytes)$/, raw);
  });

  it('environment names are the raw path in SCREAMING_SNAKE_CASE, all distinct', () => {
    assert.equal(envName('server.port'), 'SWITCHBOARD_SERVER_PORT');
    assert.equal(envName('limits.maxMessageSize'), 'SWITCHBOARD_LIMITS_MAX_MESSAGE_SIZE');
    assert.equal(envName('channel.history.size'), 'SWITCHBOARD_CHANNEL_HISTORY_SIZE');
    assert.equal(envName('channel.history.metaTtl'), 'SWITCHBOARD_CHANNEL_HISTORY_META_TTL');
    assert.equal(new Set(FIELDS.map((i) => i.env)).size, FIELDS.length);
  });
});

describe('configSchema', () => {
  it('takes one raw input to a whole Config, defaults filled in and units normalized', () => {
    const config = configSchema.parse({ heartbeat: { interval: '30s' }, limits: { maxMessageSize: '1mb' } });
    assert.equal(config.heartbeat.intervalMs, 30_000);
    assert.equal(config.limits.maxMessageBytes, 1024 * 1024);
    assert.deepEqual(config.server, DEFAULTS.server);
  });

  it('refuses unknown keys and impossible combinations', () => {
    const unknown = configSchema.safeParse({ server: { prot: 1 } });
    assert.equal(unknown.success, false);
    assert.equal(unknown.error?.issues[0]?.code, 'unrecognized_keys');

    const combo = configSchema.safeParse({ channel: { joinLeave: true, presence: false } });
    assert.equal(combo.success, false);
    assert.deepEqual(combo.error?.issues[0]?.path, ['channel', 'joinLeave']);
    assert.match(
      combo.error?.issues[0]?.message ?? '',
      /channel\.joinLeave \(true\) needs channel\.presence \(false\)/,
    );
  });

  it("keeps admin keys apart from the backends' keys, and the metrics listener off the hub port", () => {
    const shared = configSchema.safeParse({
      api: { keys: ['same-key-123'] },
      admin: { keys: ['same-key-123'] },
    });
    assert.equal(shared.success, false);
    assert.deepEqual(shared.error?.issues[0]?.path, ['admin', 'keys']);
    assert.match(shared.error?.issues[0]?.message ?? '', /an admin key cannot also be an app backend's key/);
    assert.ok(configSchema.safeParse({ api: { keys: ['k1'] }, admin: { keys: ['a1'] } }).success);

    const port = configSchema.safeParse({ server: { port: 9000 }, metrics: { port: 9000 } });
    assert.equal(port.success, false);
    assert.deepEqual(port.error?.issues[0]?.path, ['metrics', 'port']);
    assert.ok(configSchema.safeParse({ server: { port: 0 }, metrics: { port: 0 } }).success);
  });
});
