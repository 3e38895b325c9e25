// Location: vehicles on a locally drawn map, from a channel conflated by vehicle.
import { Kit } from '../kit/page.ts';

interface Position {
  vehicle: string;
  seq: number;
  x: number;
  y: number;
  trail: [number, number][];
}
interface Snapshot {
  size: { w: number; h: number; block: number };
  vehicles: { vehicle: string; x: number; y: number; seq: number; offset: number }[];
}
interface Car {
  offset: number;
  seq: number;
  x: number;
  y: number;
  trail: [number, number][];
  g: SVGGElement;
  dirty: boolean;
}

const NS = 'http://www.w3.org/2000/svg';
const kit = new Kit({
  strings: {
    stallReport: {
      en: '{received} updates in the second after it ({vehicles} vehicles)',
      zh: '卡顿后一秒内 {received} 次更新（{vehicles} 辆车）',
    },
  },
});
const $ = (id: string) => document.getElementById(id)!;
const map = $('map') as unknown as SVGSVGElement;
const cars = new Map<string, Car>();
let received = 0;

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function car(id: string): Car {
  let c = cars.get(id);
  if (c === undefined) {
    const g = el('g', { 'data-vehicle': id });
    g.append(
      el('polyline', { class: 'trail' }),
      el('circle', { class: 'car', r: 7 }),
      el('text', { class: 'label', dx: 9, dy: -9 }),
    );
    g.querySelector('text')!.textContent = id;
    map.append(g);
    c = { offset: 0, seq: 0, x: 0, y: 0, trail: [], g, dirty: true };
    cars.set(id, c);
    $('count').textContent = String(cars.size);
  }
  return c;
}

function apply(offset: number, p: Position): void {
  const c = car(p.vehicle);
  if (offset <= c.offset) return;
  Object.assign(c, { offset, seq: p.seq, x: p.x, y: p.y, trail: p.trail, dirty: true });
}

function draw(): void {
  for (const c of cars.values()) {
    if (!c.dirty) continue;
    c.dirty = false;
    c.g.dataset.x = String(c.x);
    c.g.dataset.y = String(c.y);
    c.g.dataset.seq = String(c.seq);
    c.g.setAttribute('transform', `translate(${c.x} ${c.y})`);
    c.g
      .querySelector('polyline')!
      .setAttribute('points', c.trail.map(([x, y]) => `${x - c.x},${y - c.y}`).join(' '));
  }
  requestAnimationFrame(draw);
}

const sub = kit.client.subscribe<Position>('fleet:city');
kit.track(sub);
let early: { offset: number; data: Position }[] | undefined = [];
let countFrom: number | undefined;
sub.on('message', (m) => {
  received += 1;
  $('received').textContent = String(received);
  if (early !== undefined) early.push({ offset: m.offset, data: m.data });
  else apply(m.offset, m.data);
});

await sub.ready();
const snap = (await (await fetch('/demos/location/api/positions')).json()) as Snapshot;
const { w, h, block } = snap.size;
for (let x = 0; x <= w; x += block) map.append(el('line', { class: 'road', x1: x, y1: 0, x2: x, y2: h }));
for (let y = 0; y <= h; y += block) map.append(el('line', { class: 'road', x1: 0, y1: y, x2: w, y2: y }));
for (const v of snap.vehicles) apply(v.offset, { ...v, trail: [[v.x, v.y]] });
for (const e of early) apply(e.offset, e.data);
early = undefined;
requestAnimationFrame(draw);
document.body.dataset.ready = 'true';

// The stall: the page's main thread blocked, as on a slow phone or a busy tab. Nothing is read meanwhile.
$('stall').addEventListener('click', () => {
  setTimeout(() => {
    document.body.dataset.stalled = 'true';
    const until = performance.now() + 3_000;
    while (performance.now() < until) {
      // busy: the point of the button
    }
    document.body.dataset.stalled = 'false';
    countFrom = received;
    setTimeout(() => {
      const after = received - (countFrom ?? received);
      kit.i18n(() => {
        $('stall-report').textContent = kit.t('stallReport', { received: after, vehicles: cars.size });
      });
      document.body.dataset.stalls = String(Number(document.body.dataset.stalls ?? '0') + 1);
    }, 1_000);
  }, 0);
});
