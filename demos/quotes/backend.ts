// The quotes backend: 500 symbols ticking at DEMO_QUOTES_RATE updates a second in total (default 5000), each
// update one publication on `quotes:board`, whose namespace conflates by `symbol` (`latest`) and caps each
// subscriber's deliveries: a page gets every symbol's newest price, never a backlog. Published through the HTTP
// API with a bounded number of requests in flight; `quotes:stats` says how many were published.
import { notFound, publish, serveBackend } from '../kit/backend.ts';

const RATE = Number(process.env.DEMO_QUOTES_RATE ?? 5000);
const SYMBOLS = 500;
const IN_FLIGHT = 32;
const TICK_MS = 100;

interface Quote {
  symbol: string;
  price: number;
  /** Offset of the publication that carried `price` (the newest acknowledged). */
  offset: number;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
function symbolName(i: number): string {
  // Three or four letters, stable across runs: AAB, AAC, … spread over the alphabet.
  const n = i * 7919 + 1234;
  const a = LETTERS[n % 26]!;
  const b = LETTERS[Math.floor(n / 26) % 26]!;
  const c = LETTERS[Math.floor(n / 676) % 26]!;
  return i % 3 === 0 ? `${a}${b}${c}${LETTERS[i % 26]}` : `${a}${b}${c}`;
}

const quotes: Quote[] = [];
const names = new Set<string>();
for (let i = 0; quotes.length < SYMBOLS; i++) {
  const symbol = symbolName(i);
  if (names.has(symbol)) continue;
  names.add(symbol);
  quotes.push({ symbol, price: Math.round((20 + Math.random() * 480) * 100) / 100, offset: 0 });
}

let published = 0;
let paused = false;
let inFlight = 0;
let owed = 0;

function tick(): void {
  if (paused) return;
  owed += (RATE * TICK_MS) / 1000;
  while (owed >= 1 && inFlight < IN_FLIGHT) {
    owed -= 1;
    const q = quotes[Math.floor(Math.random() * quotes.length)]!;
    const price = Math.max(1, Math.round(q.price * (1 + (Math.random() - 0.5) * 0.004) * 100) / 100);
    q.price = price; // the walk goes on from the newest price, acknowledged or not
    inFlight += 1;
    publish('quotes:board', { symbol: q.symbol, price, at: Date.now() })
      .then((r) => {
        published += 1;
        // Requests in flight may be acknowledged out of order: the newest offset is the last published.
        const held = lastPublished.get(q.symbol);
        if (held === undefined || r.offset > held.offset)
          lastPublished.set(q.symbol, { price, offset: r.offset });
      })
      .catch((err: unknown) => process.stderr.write(`quotes: ${String(err)}\n`))
      .finally(() => {
        inFlight -= 1;
      });
  }
  // What could not be sent this tick (the hub answers slower than the rate) is dropped, not piled up.
  owed = Math.min(owed, IN_FLIGHT);
}

const lastPublished = new Map<string, { price: number; offset: number }>();
let lastCount = 0;
const ticker = setInterval(tick, TICK_MS);
const stats = setInterval(() => {
  const perSecond = published - lastCount;
  lastCount = published;
  publish('quotes:stats', { published, perSecond, at: Date.now() }).catch(() => {});
}, 1000);

await serveBackend(
  ({ method, path, body }) => {
    if (path === '/api/snapshot') {
      return {
        body: {
          published,
          paused,
          rate: RATE,
          quotes: quotes.map((q) => {
            const last = lastPublished.get(q.symbol);
            return { symbol: q.symbol, price: last?.price ?? q.price, offset: last?.offset ?? 0 };
          }),
          inFlight,
        },
      };
    }
    if (method === 'POST' && path === '/api/pause') {
      paused = (body as { paused?: unknown } | undefined)?.paused === true;
      return { body: { paused } };
    }
    return notFound;
  },
  () => {
    clearInterval(ticker);
    clearInterval(stats);
  },
);
