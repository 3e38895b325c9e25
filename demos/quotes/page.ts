// Quotes: 500 symbols on one conflated channel; a snapshot from the backend, then live prices newer than it.
import { Kit } from '../kit/page.ts';

interface Tick {
  symbol: string;
  price: number;
}
interface Stats {
  published: number;
  perSecond: number;
}
interface Snapshot {
  published: number;
  quotes: { symbol: string; price: number; offset: number }[];
}
interface Cell {
  price: number;
  offset: number;
  history: number[];
  el: HTMLElement;
  priceEl: HTMLElement;
  canvas: HTMLCanvasElement;
  dirty: boolean;
  dir: number;
}

const SPARK = 40;
const kit = new Kit();
const $ = (id: string) => document.getElementById(id)!;
const cells = new Map<string, Cell>();
let snapshotted = false;
const early: { offset: number; data: Tick }[] = [];
let received = 0;
let receivedThisSecond = 0;
let publishedAtOpen: number | undefined;
let published = 0;

function makeCell(symbol: string, price: number, offset: number): Cell {
  const el = document.createElement('div');
  el.className = 'q';
  el.dataset.symbol = symbol;
  const s = document.createElement('span');
  s.className = 's';
  s.textContent = symbol;
  const priceEl = document.createElement('span');
  priceEl.className = 'p';
  const canvas = document.createElement('canvas');
  canvas.width = 140;
  canvas.height = 18;
  el.append(s, priceEl, canvas);
  $('board').append(el);
  return { price, offset, history: [price], el, priceEl, canvas, dirty: true, dir: 0 };
}

function apply(offset: number, t: Tick): void {
  const cell = cells.get(t.symbol);
  if (cell === undefined || offset <= cell.offset) return; // older than what the page shows
  cell.dir = Math.sign(t.price - cell.price);
  cell.price = t.price;
  cell.offset = offset;
  cell.history.push(t.price);
  if (cell.history.length > SPARK) cell.history.shift();
  cell.dirty = true;
}

function draw(): void {
  for (const cell of cells.values()) {
    if (!cell.dirty) continue;
    cell.dirty = false;
    cell.priceEl.textContent = cell.price.toFixed(2);
    cell.el.dataset.price = String(cell.price);
    cell.priceEl.className = `p${cell.dir > 0 ? ' up' : cell.dir < 0 ? ' down' : ''}`;
    const ctx = cell.canvas.getContext('2d')!;
    const { width, height } = cell.canvas;
    ctx.clearRect(0, 0, width, height);
    const h = cell.history;
    const min = Math.min(...h);
    const span = Math.max(...h) - min || 1;
    ctx.strokeStyle = h.at(-1)! >= h[0]! ? '#3ecf8e' : '#ff5d5d';
    ctx.beginPath();
    h.forEach((p, i) => {
      const x = (i / (SPARK - 1)) * width;
      const y = height - 1 - ((p - min) / span) * (height - 2);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
  requestAnimationFrame(draw);
}
requestAnimationFrame(draw);

function showCounters(): void {
  $('recv-total').textContent = String(received);
  const pubTotal = publishedAtOpen === undefined ? 0 : published - publishedAtOpen;
  $('pub-total').textContent = String(pubTotal);
  $('conflated').textContent = String(Math.max(0, pubTotal - received));
}

const board = kit.client.subscribe<Tick>('quotes:board');
kit.track(board);
board.on('message', (m) => {
  received += 1;
  receivedThisSecond += 1;
  if (!snapshotted) early.push({ offset: m.offset, data: m.data });
  else apply(m.offset, m.data);
});
const stats = kit.client.subscribe<Stats>('quotes:stats');
stats.on('message', (m) => {
  published = m.data.published;
  publishedAtOpen ??= m.data.published;
  $('pub-rate').textContent = String(m.data.perSecond);
  showCounters();
});
setInterval(() => {
  $('recv-rate').textContent = String(receivedThisSecond);
  receivedThisSecond = 0;
  showCounters();
}, 1000);

// Subscribed first, then the snapshot: what arrived meanwhile is applied when newer than the snapshot.
await board.ready();
const snap = (await (await fetch('/demos/quotes/api/snapshot')).json()) as Snapshot;
for (const q of snap.quotes) cells.set(q.symbol, makeCell(q.symbol, q.price, q.offset));
snapshotted = true;
for (const e of early.splice(0)) apply(e.offset, e.data);
document.body.dataset.ready = 'true';

$('pause').addEventListener('click', async () => {
  const now = (await (await fetch('/demos/quotes/api/snapshot')).json()) as { paused: boolean };
  await fetch('/demos/quotes/api/pause', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ paused: !now.paused }),
  });
});
