// Notifications on the user's own channel (unread badge, toasts) and a dashboard of the hub's own figures.
import { Client, type Subscription } from '@switchboard/client';
import { Kit } from '../kit/page.ts';

interface Note {
  id: string;
  from: string;
  text: string;
  at: number;
}
interface Figures {
  at: number;
  connections: { websocket: number; sse: number };
  channels: number;
  deliveriesPerSecond: number;
  publicationsPerSecond: number;
}

let token = '';
let me = '';
const kit = new Kit({
  autoConnect: false,
  token: async () => token,
  strings: { signedIn: { en: 'Signed in as {user}', zh: '已登录：{user}' } },
});
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

// ---- the dashboard: open to anyone, so it connects at once (anonymously) on its own client ----
const WINDOW = 120;
const points: Figures[] = [];

function chart(id: string, series: { values: number[]; color: string }[]): void {
  const canvas = $<HTMLCanvasElement>(id);
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  ctx.strokeStyle = '#263049';
  ctx.beginPath();
  for (let i = 1; i < 4; i++) {
    ctx.moveTo(0, (height * i) / 4);
    ctx.lineTo(width, (height * i) / 4);
  }
  ctx.stroke();
  ctx.fillStyle = '#8b93a7';
  ctx.font = '11px sans-serif';
  ctx.fillText(String(max), 4, 12);
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.values.forEach((v, i) => {
      const x = (i / (WINDOW - 1)) * width;
      const y = height - 2 - (v / max) * (height - 16);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}

function drawDashboard(): void {
  const last = points.at(-1);
  if (last === undefined) return;
  $('ws-now').textContent = String(last.connections.websocket);
  $('sse-now').textContent = String(last.connections.sse);
  $('channels-now').textContent = String(last.channels);
  $('deliveries-now').textContent = String(last.deliveriesPerSecond);
  $('publications-now').textContent = String(last.publicationsPerSecond);
  document.body.dataset.figures = String(points.length);
  chart('c-conn', [
    { values: points.map((p) => p.connections.websocket), color: '#4f9dff' },
    { values: points.map((p) => p.connections.sse), color: '#f5a623' },
  ]);
  chart('c-chan', [{ values: points.map((p) => p.channels), color: '#3ecf8e' }]);
  chart('c-del', [{ values: points.map((p) => p.deliveriesPerSecond), color: '#4f9dff' }]);
  chart('c-pub', [{ values: points.map((p) => p.publicationsPerSecond), color: '#f5a623' }]);
}

function addPoint(f: Figures): void {
  if (points.length > 0 && f.at <= points.at(-1)!.at) return;
  points.push(f);
  if (points.length > WINDOW) points.shift();
}

// ---- notifications ----
let unread = 0;
const seen = new Set<string>();

function setBadge(): void {
  $('badge').textContent = String(unread);
  $('badge').dataset.count = String(unread);
}

function toast(n: Note): void {
  const t = document.createElement('div');
  t.className = 'toast';
  t.dataset.id = n.id;
  t.textContent = `${n.from}: ${n.text}`;
  $('toasts').append(t);
  setTimeout(() => t.remove(), 5_000);
}

function addNote(n: Note, fresh: boolean): void {
  if (seen.has(n.id)) return;
  seen.add(n.id);
  const li = document.createElement('li');
  li.dataset.id = n.id;
  li.dataset.text = n.text;
  li.textContent = `${n.from}: ${n.text}`;
  if (fresh) {
    li.className = 'unread';
    unread += 1;
    setBadge();
    toast(n);
  }
  $('inbox').prepend(li);
}

$('bell').addEventListener('click', () => {
  unread = 0;
  setBadge();
  for (const li of $('inbox').querySelectorAll('li.unread')) li.classList.remove('unread');
});

$('send').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>('text');
  const text = input.value.trim();
  const to = $<HTMLInputElement>('to').value.trim();
  if (text === '' || to === '') return;
  input.value = '';
  await fetch('/demos/notify/api/notify', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ to, text, from: me }),
  });
});

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await fetch('/demos/notify/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: $<HTMLInputElement>('name').value.trim() }),
  });
  const answer = (await res.json()) as { token?: string; user?: string };
  if (!res.ok || answer.token === undefined || answer.user === undefined) return;
  token = answer.token;
  me = answer.user;
  $('login').hidden = true;
  $('me').hidden = false;
  kit.i18n(() => {
    $('who').textContent = kit.t('signedIn', { user: me });
  });
  kit.client.connect();
  const inbox: Subscription<Note> = kit.client.subscribe<Note>(`notify:inbox#${me}`);
  kit.track(inbox, { contiguous: true });
  let first = true;
  inbox.on('message', (m) => addNote(m.data, true));
  inbox.on('subscribed', () => {
    if (!first) return;
    first = false;
    // Earlier notifications, already delivered while away: listed, not toasted.
    inbox.history({ limit: 20 }).then(
      (h) => {
        for (const p of h.publications) addNote(p.data, false);
      },
      () => {},
    );
  });
  await inbox.ready();
  document.body.dataset.user = me;
});

// The dashboard is public: its own anonymous connection, on the page's transport, from the start.
{
  const dash = new Client(location.origin, { transport: kit.transport }).subscribe<Figures>('dash:hub');
  dash.on('message', (m) => {
    addPoint(m.data);
    drawDashboard();
  });
  dash.ready().then(
    () =>
      dash.history({ limit: WINDOW }).then((h) => {
        for (const p of h.publications) addPoint(p.data);
        points.sort((a, b) => a.at - b.at);
        drawDashboard();
      }),
    () => {},
  );
}
