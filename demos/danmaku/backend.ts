// The bullet-comment backend: the "storm" — DEMO_STORM_RATE comments a second (default 2000) on `danmaku:v1`
// for a few seconds, through the HTTP API with a bounded number of requests in flight, as a crowd would. Viewers'
// own comments are client publishes (the hub's per-connection publish rate is the per-viewer limit).
import { notFound, publish, serveBackend } from '../kit/backend.ts';

const RATE = Number(process.env.DEMO_STORM_RATE ?? 2000);
const IN_FLIGHT = 64;
const TICK_MS = 50;
const WORDS = [
  '666',
  '哈哈哈哈',
  '前方高能',
  'awesome!',
  '太精彩了',
  'GOAL!!!',
  '🔥🔥🔥',
  '名场面',
  'no way',
  '泪目',
  'lol',
  '打卡',
];

let running = false;
let until = 0;
let published = 0;
let refused = 0;
let inFlight = 0;
let owed = 0;
let startedAt = 0;
let stormPublished = 0;

const timer = setInterval(() => {
  if (!running) return;
  if (Date.now() >= until) {
    running = false;
    return;
  }
  owed = Math.min(owed + (RATE * TICK_MS) / 1000, RATE);
  while (owed >= 1 && inFlight < IN_FLIGHT) {
    owed -= 1;
    inFlight += 1;
    const text = WORDS[Math.floor(Math.random() * WORDS.length)]!;
    publish('danmaku:v1', { text, color: Math.random() < 0.2 ? '#f5a623' : '#ffffff', storm: true })
      .then(() => {
        published += 1;
        stormPublished += 1;
      })
      .catch(() => {
        refused += 1;
      })
      .finally(() => {
        inFlight -= 1;
      });
  }
}, TICK_MS);

await serveBackend(
  ({ method, path, body }) => {
    if (path === '/api/storm' && method === 'POST') {
      const seconds = Math.min(
        10,
        Math.max(1, Number((body as { seconds?: unknown } | undefined)?.seconds ?? 5)),
      );
      if (!running) {
        running = true;
        startedAt = Date.now();
        stormPublished = 0;
      }
      until = Math.max(until, Date.now() + seconds * 1000);
      return { body: { running, until } };
    }
    if (path === '/api/storm') {
      const elapsed = Math.max(1, (running ? Date.now() : until) - startedAt) / 1000;
      return {
        body: {
          running,
          rate: RATE,
          published,
          refused,
          inFlight,
          achieved: Math.round(stormPublished / elapsed),
        },
      };
    }
    return notFound;
  },
  () => clearInterval(timer),
);
