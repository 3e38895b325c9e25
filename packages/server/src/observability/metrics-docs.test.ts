// docs/observability.md and the Grafana dashboard cannot drift from the code: every switchboard_* metric the hub
// registers (the hooks' and webhooks' included) has a row in the doc's table with its type and labels, every row names a registered metric, and every
// metric the dashboard queries exists.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import pino from 'pino';
import { DEFAULTS } from '../config/defaults.ts';
import { HookMetrics } from '../proxy/metrics.ts';
import { WebhookSender } from '../webhooks/sender.ts';
import { Metrics } from './metrics.ts';

const DOC = readFileSync(new URL('../../../../docs/observability.md', import.meta.url), 'utf8');
const DASHBOARD = JSON.parse(
  readFileSync(new URL('../../../../docs/grafana/switchboard.json', import.meta.url), 'utf8'),
) as { panels: { title: string; targets: { expr: string }[] }[] };

const metrics = new Metrics({
  connections: () => ({ websocket: 0, sse: 0 }),
  channels: () => 0,
  outgoingBytes: () => 0,
});
// The backend hooks' and webhooks' metrics, registered on the same registry by their owners.
new HookMetrics(metrics.registry, () => new Map());
new WebhookSender(DEFAULTS.webhooks, metrics.registry, pino({ level: 'silent' }));
const registered = new Map(
  metrics.registry
    .getMetricsAsArray()
    .filter((m) => m.name.startsWith('switchboard_'))
    .map((m) => [m.name, m]),
);

/** The doc's metric table: name → [type, labels cell]. */
const rows = new Map(
  DOC.split('\n')
    .filter((line) => line.startsWith('| `switchboard_'))
    .map((line) => {
      const [name = '', type = '', labels = ''] = line
        .split('|')
        .slice(1)
        .map((c) => c.trim());
      return [name.replaceAll('`', ''), { type, labels }];
    }),
);

describe('docs/observability.md', () => {
  it('has a row for every metric, with its type and every label', () => {
    assert.ok(registered.size >= 14);
    for (const [name, metric] of registered) {
      const row = rows.get(name);
      assert.ok(row, `${name} has no row in docs/observability.md`);
      const { type, labelNames = [] } = metric as unknown as { type: string; labelNames?: string[] };
      assert.equal(row.type, type, `the type of ${name}`);
      for (const label of labelNames)
        assert.ok(row.labels.includes(`\`${label}\``), `${name}: label ${label}`);
    }
  });

  it('names no metric the hub does not have', () => {
    for (const name of rows.keys())
      assert.ok(registered.has(name), `${name} is documented but not registered`);
  });
});

describe('docs/grafana/switchboard.json', () => {
  it('queries only metrics the hub exports, and each of them is charted', () => {
    const queried = new Set<string>();
    for (const panel of DASHBOARD.panels)
      for (const { expr } of panel.targets)
        for (const [m] of expr.matchAll(/switchboard_[a-z_]+/g)) {
          const base = m.replace(/_(bucket|sum|count)$/, '');
          assert.ok(
            registered.has(base),
            `panel "${panel.title}" queries ${m}, which the hub does not export`,
          );
          queried.add(base);
        }
    assert.deepEqual(
      [...registered.keys()].filter((n) => !queried.has(n)),
      [],
    );
  });
});
