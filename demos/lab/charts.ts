// The lab's charts: small SVG drawn from numbers, WebSocket and SSE side by side in the same two colours.
export const COLOURS = { websocket: '#4f9dff', sse: '#f5a623' } as const;
export type Series = keyof typeof COLOURS;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number): string =>
  Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(v >= 10 ? 1 : 2)) : '–';

export interface BarGroup {
  readonly label: string;
  readonly values: Readonly<Record<Series, number>>;
}

/** Horizontal bars, one pair per group, each group scaled to its own largest value (units differ by group). */
export function bars(groups: readonly BarGroup[], names: Readonly<Record<Series, string>>): string {
  const rowH = 18;
  const groupH = rowH * 2 + 14;
  const width = 560;
  const labelW = 210;
  const barW = width - labelW - 70;
  const rows = groups.map((g, i) => {
    const top = i * groupH;
    const max = Math.max(g.values.websocket, g.values.sse, 1e-9);
    const one = (s: Series, j: number) => {
      const v = g.values[s];
      const w = Number.isFinite(v) ? Math.max(1, (v / max) * barW) : 0;
      const y = top + j * rowH;
      return `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 4}" fill="${COLOURS[s]}"><title>${esc(names[s])}: ${fmt(v)}</title></rect>
<text x="${labelW + w + 6}" y="${y + rowH - 8}" class="v">${fmt(v)}</text>`;
    };
    return `<text x="0" y="${top + rowH + 4}" class="l">${esc(g.label)}</text>${one('websocket', 0)}${one('sse', 1)}`;
  });
  const h = groups.length * groupH;
  return `<svg viewBox="0 0 ${width} ${h}" width="100%" role="img">${rows.join('')}</svg>`;
}

/** A histogram of two sample sets over the same bins (clipped at the 99th percentile of both, so a stray tail does not flatten it). */
export function histogram(
  samples: Readonly<Record<Series, readonly number[]>>,
  unit: string,
  bins = 24,
): string {
  const all = [...samples.websocket, ...samples.sse].sort((a, b) => a - b);
  if (all.length === 0) return '';
  const lo = Math.max(0, all[0]!);
  const hi = Math.max(lo + 0.5, all[Math.floor(all.length * 0.99)] ?? lo + 1);
  const step = (hi - lo) / bins;
  const count = (xs: readonly number[]) => {
    const c = new Array<number>(bins).fill(0);
    for (const x of xs) c[Math.min(bins - 1, Math.max(0, Math.floor((x - lo) / step)))]! += 1;
    return c.map((n) => n / Math.max(1, xs.length));
  };
  const ws = count(samples.websocket);
  const sse = count(samples.sse);
  const top = Math.max(...ws, ...sse, 1e-9);
  const width = 560;
  const height = 170;
  const plotH = height - 30;
  const bw = (width - 20) / bins;
  const rects = (xs: number[], s: Series, dx: number) =>
    xs
      .map((f, i) => {
        const h = (f / top) * plotH;
        return `<rect x="${(10 + i * bw + dx).toFixed(1)}" y="${(plotH - h).toFixed(1)}" width="${(bw / 2 - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLOURS[s]}"><title>${fmt(lo + i * step)}–${fmt(lo + (i + 1) * step)} ${unit}: ${(f * 100).toFixed(1)}%</title></rect>`;
      })
      .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (q) =>
        `<text x="${10 + q * (width - 20)}" y="${height - 8}" class="v" text-anchor="middle">${fmt(lo + q * (hi - lo))}</text>`,
    )
    .join('');
  return `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img">${rects(ws, 'websocket', 0)}${rects(sse, 'sse', bw / 2)}
<line x1="10" y1="${plotH}" x2="${width - 10}" y2="${plotH}" stroke="#33405f"/>${ticks}</svg>`;
}
