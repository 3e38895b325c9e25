// Bullet comments over a playing "video" on a canvas, with frame times measured in the page.
import { SwitchboardClientError } from '@switchboard/client';
import { Kit } from '../kit/page.ts';

interface Comment {
  text: string;
  color?: string;
}
interface Flying {
  text: string;
  color: string;
  x: number;
  lane: number;
  width: number;
  speed: number;
}

const CHANNEL = 'danmaku:v1';
const MAX_ON_SCREEN = 150;
const LANES = 16;
const kit = new Kit();
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const canvas = $<HTMLCanvasElement>('video');
const ctx = canvas.getContext('2d')!;
ctx.font = 'bold 24px sans-serif';

const flying: Flying[] = [];
const laneFree = new Array<number>(LANES).fill(0);
let received = 0;
let perSecond = 0;
let skipped = 0;
let lastOffset: number | undefined;
let sent = 0;
let refused = 0;
const frameTimes: { at: number; dt: number }[] = [];

function launch(c: Comment): void {
  if (flying.length >= MAX_ON_SCREEN) return; // a full sky: this one is not shown (the hub already thins storms)
  const width = ctx.measureText(c.text).width;
  // The lane that frees up first.
  let lane = 0;
  for (let i = 1; i < LANES; i++) if (laneFree[i]! < laneFree[lane]!) lane = i;
  const speed = 2 + Math.min(3, width / 120) + Math.random();
  flying.push({
    text: c.text.slice(0, 60),
    color: c.color ?? '#fff',
    x: canvas.width + Math.max(0, laneFree[lane]! - canvas.width),
    lane,
    width,
    speed,
  });
  laneFree[lane] = canvas.width + width + 40;
}

const sub = kit.client.subscribe<Comment>(CHANNEL);
kit.track(sub);
sub.on('message', (m) => {
  received += 1;
  perSecond += 1;
  // Offsets that jump: comments the hub left out for this viewer (drop-oldest and its rate cap).
  if (lastOffset !== undefined && m.offset > lastOffset + 1) skipped += m.offset - lastOffset - 1;
  lastOffset = m.offset;
  launch(m.data);
});

let t0 = performance.now();
let prev = t0;
function frame(now: number): void {
  const dt = now - prev;
  prev = now;
  frameTimes.push({ at: now, dt });
  while (frameTimes.length > 0 && frameTimes[0]!.at < now - 2_000) frameTimes.shift();
  // The "video": a playing scene and its timeline.
  const t = (now - t0) / 1000;
  const g = ctx.createLinearGradient(0, 0, canvas.width, canvas.height);
  g.addColorStop(0, `hsl(${(t * 12) % 360} 45% 18%)`);
  g.addColorStop(1, `hsl(${(t * 12 + 120) % 360} 45% 10%)`);
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#ffffff22';
  ctx.beginPath();
  ctx.arc(480 + Math.sin(t) * 260, 300 + Math.cos(t * 1.3) * 90, 70, 0, Math.PI * 2);
  ctx.fill();
  const length = 180;
  ctx.fillStyle = '#ffffff33';
  ctx.fillRect(20, canvas.height - 18, canvas.width - 40, 4);
  ctx.fillStyle = '#4f9dff';
  ctx.fillRect(20, canvas.height - 18, ((t % length) / length) * (canvas.width - 40), 4);
  ctx.fillStyle = '#fff';
  ctx.font = '13px sans-serif';
  const mmss = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  ctx.fillText(`${mmss(t % length)} / ${mmss(length)}`, 24, canvas.height - 26);
  // The comments.
  ctx.font = 'bold 24px sans-serif';
  ctx.lineWidth = 3;
  ctx.strokeStyle = '#000a';
  const step = Math.min(dt, 50) / 16.7;
  for (let i = flying.length - 1; i >= 0; i--) {
    const f = flying[i]!;
    f.x -= f.speed * step;
    if (f.x + f.width < 0) {
      flying.splice(i, 1);
      continue;
    }
    const y = 34 + f.lane * 30;
    ctx.strokeText(f.text, f.x, y);
    ctx.fillStyle = f.color;
    ctx.fillText(f.text, f.x, y);
  }
  for (let i = 0; i < LANES; i++) laneFree[i] = Math.max(0, laneFree[i]! - 3 * step);
  requestAnimationFrame(frame);
}
requestAnimationFrame((now) => {
  t0 = now;
  prev = now;
  frame(now);
});

function frameStats(): { p95: number; max: number; frames: number } {
  const dts = frameTimes.map((f) => f.dt).sort((a, b) => a - b);
  if (dts.length === 0) return { p95: 0, max: 0, frames: 0 };
  return { p95: dts[Math.floor(dts.length * 0.95)]!, max: dts.at(-1)!, frames: dts.length };
}

setInterval(() => {
  $('rate').textContent = String(perSecond);
  document.body.dataset.maxRate = String(Math.max(Number(document.body.dataset.maxRate ?? '0'), perSecond));
  perSecond = 0;
  $('received').textContent = String(received);
  $('skipped').textContent = String(skipped);
  $('onscreen').textContent = String(flying.length);
  const s = frameStats();
  $('frames').textContent = `${s.p95.toFixed(0)} / ${s.max.toFixed(0)}`;
  document.body.dataset.frames = JSON.stringify(s);
  // The worst window so far, for whoever checks the page's smoothness after a storm.
  const worst = JSON.parse(document.body.dataset.worstFrames ?? '{"p95":0,"max":0,"frames":0}') as typeof s;
  if (s.p95 >= worst.p95) document.body.dataset.worstFrames = JSON.stringify(s);
  $('mine').textContent = `${sent} / ${refused}`;
}, 1000);

setInterval(async () => {
  const s = (await (await fetch('/demos/danmaku/api/storm')).json()) as { published: number };
  $('storm-published').textContent = String(s.published);
}, 1000);

/** Posts a comment (a client publish); the hub refuses past the per-connection rate. */
async function post(text: string): Promise<void> {
  try {
    await kit.client.publish(CHANNEL, { text });
    sent += 1;
  } catch (err) {
    if (err instanceof SwitchboardClientError && err.code === 'too_many_requests') refused += 1;
    else throw err;
  } finally {
    $('mine').textContent = `${sent} / ${refused}`;
  }
}
Object.assign(window, { post });

$('post').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>('text');
  const text = input.value.trim();
  if (text === '') return;
  input.value = '';
  void post(text);
});

$('storm').addEventListener('click', () => {
  void fetch('/demos/danmaku/api/storm', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"seconds":5}',
  });
});
