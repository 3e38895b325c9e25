// The article's SSE path, as is: a plain EventSource (and, on the toggle's other side, a plain WebSocket), no SDK.
import { Kit } from '../kit/page.ts';

interface Text {
  en: string;
  zh: string;
}
interface Play {
  seq: number;
  minute: number;
  side: 'home' | 'away';
  goal: boolean;
  text: Text;
}
interface Score {
  seq: number;
  minute: number;
  home: Text;
  away: Text;
  score: { home: number; away: number };
}
interface Frame {
  type: string;
  channel?: string;
  offset?: number;
  epoch?: string;
  recovered?: boolean;
  client?: string;
  data?: unknown;
}

const PLAYS = 'sports:plays';
const SCORE = 'sports:score';
const kit = new Kit({ sdk: false });
const $ = (id: string) => document.getElementById(id)!;

const seen: number[] = []; // play numbers, in arrival order
let missing = 0;
let lastScore: Score | undefined;
let refillTarget: number | undefined;
let refilled = 0;
let playsOffset: number | undefined;

function showScore(): void {
  if (lastScore === undefined) return;
  const l = kit.lang;
  $('home').textContent = lastScore.home[l];
  $('away').textContent = lastScore.away[l];
  $('score').textContent = `${lastScore.score.home} : ${lastScore.score.away}`;
  $('score').dataset.seq = String(lastScore.seq);
  $('minute').textContent = `${lastScore.minute}'`;
}

function addPlay(p: Play): void {
  const prev = seen.at(-1);
  if (prev !== undefined && p.seq <= prev) return; // a replay of one already shown
  // The first play is the last value (not a gap); later jumps are plays that never arrived.
  if (prev !== undefined && p.seq > prev + 1) missing += p.seq - prev - 1;
  seen.push(p.seq);
  const li = document.createElement('li');
  li.dataset.seq = String(p.seq);
  if (p.goal) li.className = 'goal';
  const draw = () => {
    li.innerHTML = '';
    const min = document.createElement('span');
    min.className = 'min';
    min.textContent = `${p.minute}'`;
    li.append(min, p.text[kit.lang]);
  };
  draw();
  kit.i18n(draw);
  $('plays').prepend(li);
  while ($('plays').childElementCount > 200) $('plays').lastElementChild!.remove();
  $('count').textContent = String(seen.length);
  $('missing').textContent = String(missing);
}

function onFrame(f: Frame): void {
  if (f.type === 'connected' && f.client !== undefined) {
    kit.setConnection(f.client, kit.transport);
  } else if (f.type === 'subscribed' && f.channel === PLAYS) {
    if (f.recovered === false) kit.resumed({ refilled: 0, missing, recovered: false });
    else if (f.recovered === true) {
      refilled = 0;
      if (playsOffset !== undefined && f.offset !== undefined && f.offset > playsOffset)
        refillTarget = f.offset;
      else kit.resumed({ refilled: 0, missing, recovered: true });
    }
  } else if (f.type === 'message' && f.channel === PLAYS) {
    playsOffset = f.offset;
    addPlay(f.data as Play);
    if (refillTarget !== undefined && f.offset !== undefined) {
      refilled += 1;
      if (f.offset >= refillTarget) {
        refillTarget = undefined;
        kit.resumed({ refilled, missing, recovered: true });
      }
    }
  } else if (f.type === 'message' && f.channel === SCORE) {
    lastScore = f.data as Score;
    showScore();
  }
}
kit.i18n(showScore);

if (kit.transport === 'sse') {
  // The browser does the rest: it reconnects after the hub ends the stream and sends Last-Event-ID.
  const es = new EventSource(`/sse?channel=${PLAYS}&channel=${SCORE}`);
  const handle = (e: MessageEvent<string>) => onFrame(JSON.parse(e.data) as Frame);
  for (const type of ['connected', 'subscribed']) es.addEventListener(type, handle as EventListener);
  es.onmessage = handle;
  es.addEventListener('error', () => {
    if (es.readyState !== EventSource.OPEN) kit.setState('connecting');
  });
} else {
  // A plain WebSocket has no built-in resume: reconnect and subscribe with `since` the positions seen.
  const positions = new Map<string, { epoch: string; offset: number }>();
  const open = () => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
    ws.onopen = () => {
      [PLAYS, SCORE].forEach((channel, i) => {
        const since = positions.get(channel);
        ws.send(JSON.stringify({ type: 'subscribe', id: i + 1, channel, ...(since ? { since } : {}) }));
      });
    };
    ws.onmessage = (e) => {
      const f = JSON.parse(String(e.data)) as Frame;
      // A fresh subscription starts at its `subscribed` position; after that, only what was delivered counts.
      const known = f.channel !== undefined && positions.has(f.channel);
      if (
        (f.type === 'message' || (f.type === 'subscribed' && !known)) &&
        f.channel &&
        f.epoch &&
        f.offset !== undefined
      )
        positions.set(f.channel, { epoch: f.epoch, offset: f.offset });
      onFrame(f);
    };
    ws.onclose = () => {
      kit.setState('connecting');
      setTimeout(open, 300);
    };
  };
  open();
}
