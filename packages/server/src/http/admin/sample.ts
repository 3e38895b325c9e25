import type { SwitchboardNode } from '../../core/node.ts';
import { LATENCY_BUCKETS } from '../../observability/metrics.ts';
import type { ByteTallyKind } from '../../transport/bytes-written.ts';

interface MetricValue {
  readonly labels: Readonly<Record<string, string | number | undefined>>;
  readonly value: number;
  readonly metricName?: string;
}

/**
 * What the console's charts read, every couple of seconds: cumulative counters (the page turns two samples into
 * rates), the publish-to-write histogram's cumulative bucket counts (into the interval's percentiles), and the
 * bytes queued now. Every figure comes from the hub's Prometheus metrics, so the charts and a Grafana dashboard
 * agree.
 */
export async function metricsSample(node: SwitchboardNode): Promise<unknown> {
  const m = node.metrics;
  const [deliveries, publications, disconnects, errors, refused, latency] = await Promise.all([
    m.deliveries.get(),
    m.publications.get(),
    m.disconnects.get(),
    m.errors.get(),
    m.refused.get(),
    m.publishToWrite.get(),
  ]);
  const refusals: Record<string, number> = {};
  for (const v of [...errors.values, ...refused.values] as MetricValue[]) {
    const code = String(v.labels.code ?? v.labels.reason);
    refusals[code] = (refusals[code] ?? 0) + v.value;
  }
  // Cumulative counts per bucket bound, summed over transports.
  const counts = LATENCY_BUCKETS.map(() => 0);
  let count = 0;
  let sum = 0;
  for (const v of latency.values as MetricValue[]) {
    if (v.metricName?.endsWith('_bucket')) {
      const i = LATENCY_BUCKETS.indexOf(Number(v.labels.le));
      if (i !== -1) counts[i]! += v.value;
    } else if (v.metricName?.endsWith('_count')) count += v.value;
    else if (v.metricName?.endsWith('_sum')) sum += v.value;
  }
  const bytesWritten: Record<string, number> = {};
  for (const kind of Object.keys(m.bytesWritten) as ByteTallyKind[])
    bytesWritten[kind] = m.bytesWritten[kind].bytes;
  return {
    at: Date.now(),
    deliveries: total(deliveries.values as MetricValue[]),
    publications: total(publications.values as MetricValue[]),
    sheds: total((disconnects.values as MetricValue[]).filter((v) => v.labels.reason === 'slow_consumer')),
    refusals,
    outgoingBytes: node.outgoingBytes(),
    bytesWritten,
    latency: { buckets: LATENCY_BUCKETS, counts, count, sum },
  };
}

function total(values: readonly MetricValue[]): number {
  return values.reduce((n, v) => n + v.value, 0);
}
