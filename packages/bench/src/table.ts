// Plain-text tables for the terminal (Markdown pipe tables, so they paste into docs as they are).

import type { ScenarioResult } from './results.ts';
import { STUCK_POLICIES } from './scenarios/stuck-policies.ts';

export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** Thousands separators, no decimals above 100. */
export function num(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '—';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return String(Math.round(n * 100) / 100);
}

/** The figure a scenario is judged by, and its unit. */
export function headline(r: ScenarioResult): { value: number | undefined; unit: string; detail: string } {
  const m = r.metrics;
  switch (r.scenario) {
    case 'fanout':
    case 'channels':
    case 'single':
    case 'single-pipeline':
    case 'single-stream':
      return {
        value: m.max_delivered_per_s,
        unit: 'msg/s',
        detail:
          `p99 ${num(m.p99_at_max_ms)} ms at max, ${num(m.p99_at_half_ms)} ms at half` +
          (m.est_hub_capacity_per_s === undefined
            ? ''
            : `; hub core alone ≈ ${num(m.est_hub_capacity_per_s)}/s`) +
          (m.max_delivered_per_s === undefined && m.max_lossless_per_s !== undefined
            ? `; none within the bound: ${num(m.max_lossless_per_s)}/s lossless at p99 ${num(m.p99_at_lossless_ms)} ms`
            : ''),
      };
    case 'idle':
      return {
        value: m.kb_per_conn,
        unit: 'KB/conn',
        detail: `RSS ${num(m.rss_before_mb)} → ${num(m.rss_after_mb)} MB`,
      };
    case 'storm':
      return { value: m.conn_per_s, unit: 'conn/s', detail: `setup p99 ${num(m.setup_p99_ms)} ms` };
    case 'publish':
      return {
        value: m.rtt_p99_ms,
        unit: 'ms p99',
        detail: `p50 ${num(m.rtt_p50_ms)} ms at ${num(m.rate)}/s; closed loop ${num(m.max_publish_per_s)}/s`,
      };
    case 'bytes':
      return { value: m.bytes_per_msg, unit: 'B/msg', detail: `payload ${num(m.payload_bytes)} B` };
    case 'histogram':
      return {
        value: m.hist_p99_ms,
        unit: 'ms p99 (hub histogram)',
        detail:
          `p50 ${num(m.hist_p50_ms)} ms; generator p50 ${num(m.gen_p50_ms)} / p99 ${num(m.gen_p99_ms)} ms; ` +
          `bucket error p50 ${num(m.bucket_error_p50)} p99 ${num(m.bucket_error_p99)}`,
      };
    case 'soak':
      return {
        value: m.rss_slope_mb_per_min,
        unit: 'MB/min RSS (second half)',
        detail:
          `${num(m.minutes)} min, ${num(m.cycles)} cycles; RSS ${num(m.rss_first_mb)} → ${num(m.rss_last_mb)} MB ` +
          `(${num(m.rss_growth_pct)}%), heap ${num(m.heap_first_mb)} → ${num(m.heap_last_mb)} MB; lost ${num(m.lost)}`,
      };
    case 'storm-resume':
      return {
        value: m.all_resumed_ms,
        unit: 'ms to resume all',
        detail:
          `${num(m.resumed)}/${num(m.clients)} resumed, setup p99 ${num(m.setup_p99_ms)} ms, lost ${num(m.lost)}, ` +
          `refused ${num(m.refused)}`,
      };
    case 'stuck':
      return {
        value: m.latest_p99_present_ms,
        unit: 'ms p99 (latest, stuck reader present)',
        detail: STUCK_POLICIES.map(
          (p) =>
            `${p}: p99 ${num(m[`${p}_p99_absent_ms`])}→${num(m[`${p}_p99_present_ms`])} ms, ` +
            `held ${num(m[`${p}_outgoing_present_kb`])} KB`,
        ).join('; '),
      };
  }
}

export function resultsTable(results: ScenarioResult[]): string {
  const rows = results.map((r) => {
    const h = headline(r);
    const floor = r.notes.some((n) => n.includes('a floor') || n.includes('generator was at full'));
    // A maximum that did not pass a second time at its rate.
    const unconfirmed = r.unconfirmed.includes('max_delivered_per_s');
    const flag = `${floor ? ' (floor)' : ''}${unconfirmed ? ' (unconfirmed)' : ''}`;
    return [
      r.scenario,
      num(r.subscribers),
      r.transport,
      r.target,
      `${num(h.value)} ${h.unit}${flag}`,
      h.detail,
    ];
  });
  return renderTable(['scenario', 'subs', 'transport', 'target', 'figure', 'detail'], rows);
}
