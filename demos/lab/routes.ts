// The lab's server side, on the hub's port in the launcher's process (it reads the hub's own counters):
//   GET  /lab/api/time   the hub's clock, for the page's clock-offset estimate
//   GET  /lab/api/stats  bytes written per transport (switchboard_bytes_written_total) and connections
//   POST /lab/api/burst  publishes `count` stamped messages at `rate`/s on a `lab:` channel
// Everything is bounded: a burst is at most MAX_COUNT messages of at most MAX_PAD bytes, one burst per channel
// at a time, and at most MAX_BURSTS bursts at once.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunningServer } from '../../packages/server/src/index.ts';

export const MAX_COUNT = 2_000;
export const MAX_RATE = 1_000;
export const MAX_PAD = 4_096;
const MAX_BURSTS = 8;
const MAX_BODY = 4 * 1024;

/** The message a burst publishes: its sequence number in the burst and the hub's clock when published. */
export interface LabMessage {
  readonly seq: number;
  /** `performance.timeOrigin + performance.now()` in the hub's process, in ms. */
  readonly t: number;
  readonly pad: string;
}

export interface BurstRequest {
  readonly channel: string;
  readonly count: number;
  readonly rate: number;
  readonly pad: number;
}

const now = (): number => performance.timeOrigin + performance.now();

/** A burst request from a JSON body, or the reason it is refused. */
export function parseBurst(body: unknown): BurstRequest | string {
  if (typeof body !== 'object' || body === null) return 'expected a JSON object';
  const { channel, count, rate, pad } = body as Record<string, unknown>;
  if (typeof channel !== 'string' || !/^lab:[A-Za-z0-9_.-]{1,64}$/.test(channel))
    return 'channel: a lab: channel (lab:<1-64 of A-Z a-z 0-9 _ . ->)';
  const int = (v: unknown, min: number, max: number) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  if (!int(count, 1, MAX_COUNT)) return `count: an integer from 1 to ${MAX_COUNT}`;
  if (!int(rate, 1, MAX_RATE)) return `rate: an integer from 1 to ${MAX_RATE} (messages a second)`;
  if (!int(pad ?? 0, 0, MAX_PAD)) return `pad: an integer from 0 to ${MAX_PAD} (bytes)`;
  return { channel, count: count as number, rate: rate as number, pad: (pad as number | undefined) ?? 0 };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message } });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new RangeError('body too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString());
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The lab's routes; false for a path that is not the lab's API. */
export function labApi(
  hub: RunningServer,
): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean> {
  const running = new Set<string>();

  async function burst(
    b: BurstRequest,
  ): Promise<{ published: number; first: number; last: number; epoch: string }> {
    const pad = 'x'.repeat(b.pad);
    const start = performance.now();
    let first = 0;
    let last = 0;
    let epoch = '';
    for (let seq = 0; seq < b.count; seq++) {
      // Paced against the start, so a slow turn does not slow the rest of the burst down.
      const due = start + (seq * 1000) / b.rate - performance.now();
      if (due > 1) await sleep(due);
      const message: LabMessage = { seq, t: now(), pad };
      const { publication } = await hub.node.publish(b.channel, message, {}, 'api');
      if (seq === 0) first = publication.offset;
      last = publication.offset;
      epoch = publication.epoch;
    }
    return { published: b.count, first, last, epoch };
  }

  return async (req, res, path) => {
    if (!path.startsWith('/lab/api/')) return false;
    if (path === '/lab/api/time' && req.method === 'GET') {
      send(res, 200, { t: now() });
      return true;
    }
    if (path === '/lab/api/stats' && req.method === 'GET') {
      const tallies = hub.node.metrics.bytesWritten;
      const connections = (await hub.node.metrics.connections.get()).values;
      send(res, 200, {
        bytesWritten: { ws: tallies.ws.bytes, sse: tallies.sse.bytes, pusher: tallies.pusher.bytes },
        connections: Object.fromEntries(connections.map((v) => [String(v.labels.transport), v.value])),
      });
      return true;
    }
    if (path === '/lab/api/burst' && req.method === 'POST') {
      let body: unknown;
      try {
        body = await readJson(req);
      } catch (err) {
        if (err instanceof RangeError) refuse(res, 413, 'payload_too_large', `at most ${MAX_BODY} bytes`);
        else refuse(res, 400, 'invalid_json', 'the body is not JSON');
        return true;
      }
      const b = parseBurst(body);
      if (typeof b === 'string') {
        refuse(res, 400, 'bad_request', b);
        return true;
      }
      if (running.has(b.channel) || running.size >= MAX_BURSTS) {
        refuse(res, 429, 'too_many_requests', 'a burst is already running on this channel, or too many are');
        return true;
      }
      running.add(b.channel);
      try {
        send(res, 200, await burst(b));
      } catch {
        // The hub refused a publish (a stopping hub, say): the page reports the step as failed.
        refuse(res, 500, 'internal', 'the burst failed');
      } finally {
        running.delete(b.channel);
      }
      return true;
    }
    refuse(res, 404, 'not_found', 'no such lab endpoint');
    return true;
  };
}
