// The real `switchboard serve` in the environment Kubernetes gives a pod whose namespace has Services named
// `switchboard…`: it starts and serves, in the default mode and under --strict-env, while a typo beside them still
// gets its suggestion.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { until } from '@switchboard/test-helpers/wait';
import { HubProcess } from '../helpers/hub-process.ts';
import {
  OTHERS,
  SWITCHBOARD,
  SWITCHBOARD_2_SIG,
  SWITCHBOARD_REDIS,
  SWITCHBOARD_SERVER,
} from '../helpers/service-links.ts';

const BIN = fileURLToPath(new URL('../../packages/server/bin/switchboard.js', import.meta.url));

/** Services `switchboard` (three named ports, TCP and UDP), `switchboard-server` (one unnamed port, over an
 * option's name), `switchboard-redis` (IPv6), `switchboard-2-sig` (SCTP), and the API server's own. */
const SERVICE_LINKS: Readonly<Record<string, string>> = {
  ...SWITCHBOARD,
  ...SWITCHBOARD_SERVER,
  ...SWITCHBOARD_REDIS,
  ...SWITCHBOARD_2_SIG,
  ...OTHERS,
};
const LINKED = Object.keys(SERVICE_LINKS).filter((n) => n.startsWith('SWITCHBOARD_'));

const TYPO_WARNING =
  'switchboard: warning: environment SWITCHBOARD_LOGLEVEL: unknown variable, ignored (did you mean SWITCHBOARD_LOG_LEVEL?); see docs/configuration.md';

const hubs: HubProcess[] = [];
after(() => Promise.all(hubs.map((h) => h.stop())));

async function start(args: readonly string[], env: Record<string, string>): Promise<HubProcess> {
  const hub = await HubProcess.start('memory', args, env);
  hubs.push(hub);
  return hub;
}

/** The debug line `serve` logs about the links it set aside (pino JSON on stdout). */
function ignoredLinks(output: string): { services: string[]; variables: string[] } | undefined {
  // The last piece may be a line still arriving.
  for (const line of output.split('\n').slice(0, -1)) {
    if (!line.includes('ignored Kubernetes service-link variables')) continue;
    return JSON.parse(line) as { services: string[]; variables: string[] };
  }
  return undefined;
}

describe('switchboard serve under Kubernetes service links (the real command)', () => {
  for (const strict of [false, true])
    it(`starts and answers /healthz${strict ? ' under --strict-env' : ''}, logging the links at debug`, async () => {
      const hub = await start(['--log-level', 'debug', ...(strict ? ['--strict-env'] : [])], SERVICE_LINKS);
      const health = await fetch(`${hub.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(health.status, 200, hub.output);
      assert.deepEqual(await health.json(), { status: 'ok' });
      assert.equal(await hub.readyz(), 200);
      // Logged (stdout) before the banner (stderr) is printed, but two pipes may be read in either order.
      const logged = await until(
        () => ignoredLinks(hub.output),
        () => `the debug line about the links; output: ${hub.output}`,
        5_000,
      );
      assert.deepEqual(logged.services, [
        'switchboard',
        'switchboard-2-sig',
        'switchboard-redis',
        'switchboard-server',
      ]);
      assert.deepEqual(logged.variables, [...LINKED].sort());
      // The banner's own WARNING lines (open auth, any origin) are another matter.
      assert.doesNotMatch(hub.output, /switchboard: warning|"level":[4-6]0/, 'a link is not worth a warning');
    });

  it('a typo beside the links still gets its suggestion: a warning, and the hub starts', async () => {
    const hub = await start([], { ...SERVICE_LINKS, SWITCHBOARD_LOGLEVEL: 'debug' });
    assert.ok(hub.output.includes(`${TYPO_WARNING}\n`), hub.output);
    assert.equal((await fetch(`${hub.url}/healthz`, { signal: AbortSignal.timeout(5_000) })).status, 200);
  });

  it('under strict mode (flag or SWITCHBOARD_STRICT_ENV) the typo is refused: exit 2, nothing started', () => {
    const env = { PATH: process.env.PATH ?? '', ...SERVICE_LINKS, SWITCHBOARD_LOGLEVEL: 'debug' };
    const expected =
      'switchboard: invalid configuration (1 problem):\n  environment SWITCHBOARD_LOGLEVEL: unknown variable (did you mean SWITCHBOARD_LOG_LEVEL?); see docs/configuration.md\n';
    for (const [args, extra] of [
      [['--strict-env'], {}],
      [[], { SWITCHBOARD_STRICT_ENV: 'true' }],
    ] as const) {
      const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', ...args], {
        env: { ...env, ...extra },
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr, expected);
      assert.equal(r.stdout, '');
    }
  });
});
