// The location backend: DEMO_FLEET_VEHICLES vehicles (default 40) drive a street grid, each reporting its
// position DEMO_FLEET_HZ times a second (default 4) on `fleet:city`, with its recent trail. The namespace
// conflates by `vehicle` (`latest`): a client that falls behind gets each vehicle's newest position, not a backlog.
import { notFound, publish, serveBackend } from '../kit/backend.ts';

const VEHICLES = Number(process.env.DEMO_FLEET_VEHICLES ?? 40);
const HZ = Number(process.env.DEMO_FLEET_HZ ?? 4);
const W = 1000;
const H = 640;
const BLOCK = 80;
const TRAIL = 12;

interface Vehicle {
  id: string;
  x: number;
  y: number;
  dx: number;
  dy: number;
  trail: [number, number][];
  offset: number;
  seq: number;
}

const DIRS: [number, number][] = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
];
const pick = <T>(a: readonly T[]): T => a[Math.floor(Math.random() * a.length)]!;

const fleet: Vehicle[] = Array.from({ length: VEHICLES }, (_, i) => {
  const [dx, dy] = pick(DIRS);
  return {
    id: `${i < 26 ? String.fromCharCode(65 + i) : `V${i}`}-${100 + i}`,
    x: BLOCK * (1 + Math.floor(Math.random() * (W / BLOCK - 1))),
    y: BLOCK * (1 + Math.floor(Math.random() * (H / BLOCK - 1))),
    dx,
    dy,
    trail: [],
    offset: 0,
    seq: 0,
  };
});
let paused = false;
let inFlight = 0;

function step(v: Vehicle): void {
  const speed = 6;
  v.x += v.dx * speed;
  v.y += v.dy * speed;
  // At a crossing, maybe turn; at the edge, turn back.
  if (v.x % BLOCK === 0 && v.y % BLOCK === 0 && Math.random() < 0.4) [v.dx, v.dy] = pick(DIRS);
  if (v.x <= 0 || v.x >= W) v.dx = -v.dx;
  if (v.y <= 0 || v.y >= H) v.dy = -v.dy;
  v.x = Math.max(0, Math.min(W, v.x));
  v.y = Math.max(0, Math.min(H, v.y));
  v.trail.push([v.x, v.y]);
  if (v.trail.length > TRAIL) v.trail.shift();
}

const timer = setInterval(() => {
  if (paused) return;
  for (const v of fleet) {
    step(v);
    v.seq += 1;
    const seq = v.seq;
    inFlight += 1;
    publish('fleet:city', { vehicle: v.id, seq, x: v.x, y: v.y, trail: v.trail, at: Date.now() })
      .then((r) => {
        if (r.offset > v.offset) v.offset = r.offset;
      })
      .catch((err: unknown) => process.stderr.write(`location: ${String(err)}\n`))
      .finally(() => {
        inFlight -= 1;
      });
  }
}, 1000 / HZ);

await serveBackend(
  ({ method, path, body }) => {
    if (path === '/api/positions')
      return {
        body: {
          paused,
          inFlight,
          size: { w: W, h: H, block: BLOCK },
          vehicles: fleet.map((v) => ({ vehicle: v.id, x: v.x, y: v.y, seq: v.seq, offset: v.offset })),
        },
      };
    if (method === 'POST' && path === '/api/pause') {
      paused = (body as { paused?: unknown } | undefined)?.paused === true;
      return { body: { paused } };
    }
    return notFound;
  },
  () => clearInterval(timer),
);
