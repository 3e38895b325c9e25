// docs/configuration.md cannot drift from the code: every option of DEFAULTS has a table row under its raw name
// that gives its default, its environment variable and its flag; every alias and allowed variable has a row; every
// example config file is valid. docs/deploy.md's Kubernetes section shows service links the hub recognises and a
// manifest whose environment is a valid strict configuration.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULTS } from './defaults.ts';
import { ENV_ALIASES, ENV_ALLOWED } from './env.ts';
import { resolveConfig } from './load.ts';
import { configSchema, FIELD_BY_PATH, formatValue } from './schema.ts';
import { serviceLinks } from './service-links.ts';

const DOC = readFileSync(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');
const DEPLOY = readFileSync(new URL('../../../../docs/deploy.md', import.meta.url), 'utf8');
const SECURITY = readFileSync(new URL('../../../../docs/security.md', import.meta.url), 'utf8');

function leaves(tree: object, prefix = ''): [path: string, value: unknown][] {
  return Object.entries(tree).flatMap(([k, v]): [string, unknown][] =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && `${prefix}${k}` !== 'namespaces'
      ? leaves(v, `${prefix}${k}.`)
      : [[`${prefix}${k}`, v]],
  );
}

/** The cells of every table row of the doc, trimmed (the formatter pads columns). */
const ROWS: string[][] = DOC.split('\n')
  .filter((line) => line.startsWith('|'))
  .map((line) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );

/** The table row whose first cell is `name` in backticks. */
function row(name: string): string[] | undefined {
  return ROWS.find((cells) => cells[0] === `\`${name}\``);
}

describe('docs/configuration.md', () => {
  for (const [path, value] of leaves(DEFAULTS)) {
    const info = FIELD_BY_PATH.get(path);
    it(`documents ${path}`, () => {
      assert.ok(info, `${path} has no raw option in config/schema.ts`);
      const cells = row(info.raw);
      assert.ok(cells, `no row for \`${info.raw}\` in docs/configuration.md`);
      const [, , defaultCell = '', envCell = '', flagCell = ''] = cells;
      const shown = Array.isArray(value) ? JSON.stringify(value) : formatValue(info.field.kind, value);
      assert.equal(defaultCell, `\`${shown}\``, `the default of ${info.raw}`);
      assert.ok(envCell.includes(`\`${info.env}\``), `the row of ${info.raw} does not name ${info.env}`);
      if (info.field.flag !== undefined)
        assert.ok(
          flagCell.includes(`\`${info.field.flag}`),
          `the row of ${info.raw} does not name ${info.field.flag}`,
        );
    });
  }

  it('has a row for every short alias and every allowed SWITCHBOARD_* variable', () => {
    for (const name of [...Object.keys(ENV_ALIASES), ...Object.keys(ENV_ALLOWED)])
      assert.ok(row(name), `${name} has no row in docs/configuration.md`);
  });

  it('gives only valid example config files', () => {
    const examples = [...DOC.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(examples.length >= 2);
    for (const example of examples) {
      const result = configSchema.safeParse(JSON.parse(example));
      assert.ok(result.success, `${example}\n${result.error?.message}`);
    }
  });
});

describe('docs/security.md, the table of limits and budgets', () => {
  const section = SECURITY.slice(SECURITY.indexOf('## Limits'), SECURITY.indexOf('## Production checklist'));
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  /** Every `limits.*` option, and the other limits and budgets the table must keep. */
  const paths = [
    ...leaves(DEFAULTS.limits, 'limits.').map(([path]) => path),
    'server.maxConnections',
    'server.headersTimeoutMs',
    'server.requestTimeoutMs',
    'server.shutdownTimeoutMs',
    'server.http2.maxConcurrentStreams',
    'api.maxBodyBytes',
    'auth.connectTimeoutMs',
    'heartbeat.timeoutMs',
    'channel.maxSubscribers',
    'pusher.clientEventRate',
    'pusher.maxPresenceMembers',
    'proxy.maxConcurrency',
    'webhooks.maxQueue',
  ];
  for (const path of paths)
    it(`lists ${path} with its default and its refusal`, () => {
      const info = FIELD_BY_PATH.get(path);
      assert.ok(info, `${path} has no raw option in config/schema.ts`);
      const cells = rows.find((r) => r[0]!.split(' / ').includes(`\`${info.raw}\``));
      assert.ok(cells, `no row for \`${info.raw}\` in the limits table of docs/security.md`);
      const [, defaultCell = '', , refusal = ''] = cells;
      const value = path.split('.').reduce<any>((o, k) => o[k], DEFAULTS);
      const shown = value === false ? 'off' : `\`${formatValue(info.field.kind, value)}\``;
      assert.ok(
        defaultCell.includes(shown),
        `the default of ${info.raw}: ${defaultCell} does not show ${shown}`,
      );
      assert.notEqual(refusal, '', `the row of ${info.raw} says what it refuses`);
    });
});

describe('docs/deploy.md, Kubernetes', () => {
  const kubernetes = DEPLOY.slice(DEPLOY.indexOf('## Kubernetes'));
  const block = (lang: string) => new RegExp(`\`\`\`${lang}\n([\\s\\S]*?)\`\`\``).exec(kubernetes)?.[1] ?? '';
  /** The `NAME=value` lines of the first shell block: what the kubelet writes for the example Service. */
  const injected = Object.fromEntries(
    block('sh')
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

  it('lists service links the hub recognises, every one of them', () => {
    assert.ok(Object.keys(injected).length >= 8);
    assert.deepEqual([...serviceLinks(injected).keys()].sort(), Object.keys(injected).sort());
  });

  it("gives a manifest whose environment, with the Service's links, is a valid strict configuration", () => {
    const env: Record<string, string> = {};
    for (const m of block('yaml').matchAll(/- name: (\w+)\n\s+(value: (.+)|valueFrom:)/g))
      env[m[1]!] = m[3]?.replace(/^"(.*)"$/, '$1') ?? 'a-key-from-the-secret-0123456789';
    assert.ok('SWITCHBOARD_STRICT_ENV' in env && 'SWITCHBOARD_API_KEY' in env, JSON.stringify(env));
    const r = resolveConfig({ env: { ...injected, ...env } });
    assert.equal(r.config.strictEnv, true);
    assert.equal(r.config.server.port, 8080);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.serviceLinks.size, Object.keys(injected).length);
  });
});
