// The sports backend plays a match: every DEMO_SPORTS_INTERVAL_MS (default 1500) a play, published to
// `sports:plays` (numbered, so a page can see a missing one), and the score after it to `sports:score`, whose
// namespace sends the last value on subscribe. Both through the hub's HTTP API, as a real feed would.
import { notFound, publish, serveBackend } from '../kit/backend.ts';

const INTERVAL = Number(process.env.DEMO_SPORTS_INTERVAL_MS ?? 1500);
const HOME = { en: 'Harbour City', zh: '海港城' };
const AWAY = { en: 'River Rovers', zh: '江河流浪者' };

const KINDS = [
  { en: '{team} keep possession in midfield', zh: '{team}在中场控球', goal: false },
  { en: 'Shot by {team}, saved', zh: '{team}射门，被扑出', goal: false },
  { en: 'Corner for {team}', zh: '{team}获得角球', goal: false },
  { en: 'Foul on {team}: free kick', zh: '{team}被犯规：任意球', goal: false },
  { en: 'Yellow card against {team}', zh: '{team}吃到黄牌', goal: false },
  { en: 'GOAL! {team} score', zh: '进球！{team}得分', goal: true },
];

let seq = 0;
let minute = 0;
const score = { home: 0, away: 0 };
let busy = false;

async function play(): Promise<void> {
  if (busy) return; // the hub is slow to answer: skip a beat rather than pile up
  busy = true;
  try {
    seq += 1;
    minute = Math.min(90, minute + 1);
    const side = Math.random() < 0.5 ? 'home' : 'away';
    const team = side === 'home' ? HOME : AWAY;
    // Goals are rare, as in football.
    const kind = KINDS[Math.random() < 0.08 ? 5 : Math.floor(Math.random() * 5)]!;
    if (kind.goal) score[side] += 1;
    const text = { en: kind.en.replace('{team}', team.en), zh: kind.zh.replace('{team}', team.zh) };
    await publish('sports:plays', { seq, minute, side, goal: kind.goal, text });
    await publish('sports:score', { seq, minute, home: HOME, away: AWAY, score: { ...score } });
    if (minute === 90) {
      minute = 0;
      score.home = 0;
      score.away = 0;
    }
  } finally {
    busy = false;
  }
}

const timer = setInterval(() => {
  play().catch((err: unknown) => process.stderr.write(`sports: ${String(err)}\n`));
}, INTERVAL);

await serveBackend(
  ({ path }) => {
    // What was played so far: the tests compare the page with it.
    if (path === '/api/state') return { body: { seq, minute, score } };
    return notFound;
  },
  () => clearInterval(timer),
);
