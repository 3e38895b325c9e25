import { Counter, Gauge, Histogram, type Registry } from '@prometheus-io/client';

/** How a hook call ended. */
export type HookOutcome = 'allowed' | 'denied' | 'failed' | 'timeout' | 'breaker_open' | 'overloaded';

/** The proxy hooks' metrics, on the hub's registry. */
export class HookMetrics {
  readonly calls: Counter<'hook' | 'outcome'>;
  readonly duration: Histogram<'hook'>;
  readonly breakerOpen: Gauge<'hook'>;

  constructor(registry: Registry, openBreakers: () => Map<string, boolean>) {
    const registers = [registry];
    this.calls = new Counter({
      name: 'switchboard_proxy_calls_total',
      help: 'Proxy hook calls by hook and outcome (allowed, denied, failed, timeout, breaker_open, overloaded).',
      labelNames: ['hook', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'switchboard_proxy_duration_seconds',
      help: 'Time from sending a proxy hook request to its answer (calls that reached the backend).',
      labelNames: ['hook'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.breakerOpen = new Gauge({
      name: 'switchboard_proxy_breaker_open',
      help: "1 while a proxy hook's circuit breaker is open (its calls fail at once), else 0.",
      labelNames: ['hook'],
      registers,
      collect() {
        for (const [hook, open] of openBreakers()) this.set({ hook }, open ? 1 : 0);
      },
    });
  }
}
