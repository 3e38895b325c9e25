// Hand-written SVG bar charts: one panel per figure, groups of bars (one bar per target), no dependencies.

export interface Bar {
  name: string;
  value: number | undefined;
  /** Marked with `*`: the generator, not the hub, was the limit (the value is a floor). */
  flag?: boolean;
}

export interface Group {
  label: string;
  bars: Bar[];
}

export interface Panel {
  title: string;
  unit: string;
  /** True when a smaller value is better (printed under the title). */
  lowerIsBetter: boolean;
  groups: Group[];
}

const COLORS: Record<string, string> = {
  switchboard: '#d62728',
  'ws-naive': '#9ecae1',
  'ws-once': '#3182bd',
  'sse-naive': '#a1d99b',
  'sse-once': '#31a354',
  nchan: '#ff7f0e',
  socketio: '#756bb1',
};
const FALLBACK = ['#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const WIDTH = 900;
const PANEL_H = 260;
const PLOT_TOP = 46;
const PLOT_H = 170;
const LEFT = 80;
const RIGHT = 20;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function short(n: number): string {
  if (n >= 1e6) return `${Math.round(n / 1e5) / 10}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  if (n >= 1e3) return `${Math.round(n / 1e2) / 10}k`;
  return String(Math.round(n * 10) / 10);
}

/** A "nice" axis maximum at or above `max`. */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function colorOf(name: string, names: string[]): string {
  return COLORS[name] ?? FALLBACK[names.indexOf(name) % FALLBACK.length] ?? '#333';
}

function panel(p: Panel, y0: number, names: string[]): string {
  const out: string[] = [];
  const plotW = WIDTH - LEFT - RIGHT;
  const values = p.groups.flatMap((g) => g.bars.map((b) => b.value ?? 0));
  const max = niceMax(Math.max(0, ...values));
  const yOf = (v: number): number => y0 + PLOT_TOP + PLOT_H - (v / max) * PLOT_H;
  out.push(`<text x="${LEFT}" y="${y0 + 20}" class="t">${esc(p.title)}</text>`);
  out.push(
    `<text x="${LEFT}" y="${y0 + 36}" class="s">${esc(p.unit)} · ${p.lowerIsBetter ? 'lower is better' : 'higher is better'}</text>`,
  );
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = yOf(v);
    out.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" class="g"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y + 4}" class="a" text-anchor="end">${short(v)}</text>`);
  }
  const groupW = plotW / Math.max(1, p.groups.length);
  p.groups.forEach((g, gi) => {
    const gx = LEFT + gi * groupW;
    const barW = Math.min(36, (groupW - 16) / Math.max(1, g.bars.length));
    const start = gx + (groupW - barW * g.bars.length) / 2;
    g.bars.forEach((b, bi) => {
      const x = start + bi * barW;
      if (b.value === undefined) {
        out.push(`<text x="${x + barW / 2}" y="${yOf(0) - 4}" class="a" text-anchor="middle">–</text>`);
        return;
      }
      const y = yOf(b.value);
      const title = `${b.name} ${g.label}: ${short(b.value)} ${p.unit}`;
      out.push(
        `<rect x="${x + 1}" y="${y}" width="${barW - 2}" height="${yOf(0) - y}" fill="${colorOf(b.name, names)}"><title>${esc(title)}</title></rect>`,
      );
      out.push(
        `<text x="${x + barW / 2}" y="${y - 3}" class="v" text-anchor="middle">${short(b.value)}${b.flag === true ? '*' : ''}</text>`,
      );
    });
    out.push(
      `<text x="${gx + groupW / 2}" y="${y0 + PLOT_TOP + PLOT_H + 16}" class="a" text-anchor="middle">${esc(g.label)}</text>`,
    );
  });
  return out.join('\n');
}

/** Several panels stacked, with one legend of the targets on top. */
export function chart(title: string, subtitle: string, panels: Panel[]): string {
  const names = [...new Set(panels.flatMap((p) => p.groups.flatMap((g) => g.bars.map((b) => b.name))))];
  const legendH = 50;
  const height = legendH + panels.length * PANEL_H + 10;
  const legend = names
    .map((n, i) => {
      const x = LEFT + i * 110;
      return `<rect x="${x}" y="36" width="12" height="12" fill="${colorOf(n, names)}"/><text x="${x + 16}" y="46" class="a">${esc(n)}</text>`;
    })
    .join('\n');
  const body = panels.map((p, i) => panel(p, legendH + i * PANEL_H, names)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">
<style>.t{font-size:15px;font-weight:bold}.s{font-size:11px;fill:#555}.a{font-size:11px;fill:#333}.v{font-size:9px;fill:#222}.g{stroke:#ddd;stroke-width:1}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="${LEFT}" y="18" class="t">${esc(title)}</text>
<text x="${LEFT}" y="30" class="s">${esc(subtitle)} · * the generator was the limit (a floor)</text>
${legend}
${body}
</svg>
`;
}
