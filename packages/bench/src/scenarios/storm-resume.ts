// The reconnect storm: `stormClients` clients (half WebSocket, half SSE) on one node of a hub whose engine
// outlives the node (Redis: the suite's switchboard-redis targets), spread over `stormChannels` channels, while
// publications go on at a fixed rate — through another node when the hub has one, so they continue during the
// outage. The node is stopped (SIGTERM) and started again on its port; then every client reconnects at once from
// its last position (WebSocket `subscribe` with `since`, SSE `Last-Event-ID`), retrying with backoff when
// refused. Measured: the time from the node being ready until every client resumed, the setup time of the
// resuming connection (p50/p99), the refusals, and the publications lost (accepted after a client's first
// position, never received: must be 0). Run twice: `limits.connectionRate` off (0) and on (`stormConnectionRate`
// per client IP per second; the clients come from the generator's few loopback addresses, so "on" throttles).

import type { RunContext } from '../context.ts';
import type { Transport } from '../dialect.ts';
import { emptyResult, type ScenarioResult } from '../results.ts';
import { tallyResume } from '../resume.ts';
import { type AttemptResult, ResumeClient } from '../resume-client.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Publishes round-robin to the storm's channels at a fixed rate, keeping the offsets each channel accepted. */
class StormPublisher {
  readonly accepted = new Map<string, number[]>();
  failed = 0;
  ok = 0;
  #running = false;
  #loop: Promise<void> = Promise.resolve();
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly channels: readonly string[];
  readonly rate: number;

  constructor(
    host: string,
    port: number,
    apiKey: string | undefined,
    channels: readonly string[],
    rate: number,
  ) {
    this.channels = channels;
    this.rate = rate;
    this.#url = `http://${host}:${port}/api/publish`;
    this.#headers = { 'content-type': 'application/json' };
    if (apiKey !== undefined) this.#headers.authorization = `Bearer ${apiKey}`;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    const t0 = performance.now();
    let sent = 0;
    const inFlight = new Set<Promise<void>>();
    while (this.#running) {
      const due = Math.floor(((performance.now() - t0) * this.rate) / 1000);
      while (sent < due && inFlight.size < 64) {
        const channel = this.channels[sent % this.channels.length]!;
        sent++;
        const p = this.#publish(channel).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await sleep(5);
    }
    await Promise.all(inFlight);
  }

  async #publish(channel: string): Promise<void> {
    try {
      const res = await fetch(this.#url, {
        method: 'POST',
        headers: this.#headers,
        body: JSON.stringify({ channel, data: { t: Date.now() } }),
        signal: AbortSignal.timeout(5000),
      });
      const body = (await res.json()) as { offset?: number };
      if (res.status !== 200 || typeof body.offset !== 'number') {
        this.failed++;
        return;
      }
      this.ok++;
      let list = this.accepted.get(channel);
      if (list === undefined) {
        list = [];
        this.accepted.set(channel, list);
      }
      list.push(body.offset);
    } catch {
      this.failed++; // the node is down (single-node hub): not accepted, so owed to no one
    }
  }
}

export async function stormResume(ctx: RunContext, clients: number): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  for (const rate of [0, ctx.profile.stormConnectionRate]) {
    out.push(await oneStorm(ctx, clients, rate));
  }
  return out;
}

async function oneStorm(ctx: RunContext, n: number, connectionRate: number): Promise<ScenarioResult> {
  const { profile, target } = ctx;
  const label = connectionRate === 0 ? 'limit off' : `limit on (${connectionRate}/s per IP)`;
  const result = emptyResult('storm-resume', 'http', target.name, n);
  const m = result.metrics;
  m.connection_rate = connectionRate;
  const restart = target.restart;
  if (restart === undefined) {
    result.notes.push(
      'skipped: the target cannot restart its node over a lasting engine (use switchboard-redis)',
    );
    return result;
  }
  const channels = Array.from({ length: profile.stormChannels }, (_, i) => `storm:${i}`);
  const addrs = ctx.localAddresses;
  const all: ResumeClient[] = [];
  for (let i = 0; i < n; i++) {
    const transport: Transport = i % 2 === 0 ? 'ws' : 'sse';
    all.push(
      new ResumeClient({
        host: target.host,
        port: target.port,
        transport,
        channel: channels[i % channels.length]!,
        ...(addrs.length === 0 ? {} : { localAddress: addrs[i % addrs.length]! }),
        timeoutMs: profile.connectTimeoutMs,
      }),
    );
  }
  const other = target.nodes?.[0];
  const publisher = new StormPublisher(
    other?.host ?? target.host,
    other?.port ?? target.port,
    target.apiKey,
    channels,
    profile.stormPublishRate,
  );
  try {
    // 1. Connect everyone (not the storm: a few hundred at a time), then publish for a while.
    const open = performance.now();
    let failedOpen = 0;
    for (let i = 0; i < all.length; i += 500) {
      const rs = await Promise.all(all.slice(i, i + 500).map((c) => c.attempt(false)));
      failedOpen += rs.filter((r) => r !== 'ok').length;
    }
    ctx.log(`    ${label}: ${n - failedOpen}/${n} live in ${Math.round(performance.now() - open)} ms`);
    if (failedOpen > 0) result.notes.push(`${failedOpen} clients could not connect before the restart`);
    publisher.start();
    await sleep(2000);

    // 2. Restart the node; publications go on (through another node, if any).
    const down = performance.now();
    await restart.stop();
    const stopped = performance.now();
    await sleep(1000);
    const pid = await restart.start({ SWITCHBOARD_LIMITS_CONNECTION_RATE: String(connectionRate) });
    target.pid = pid;
    const ready = performance.now();
    m.stop_ms = Math.round(stopped - down);
    m.outage_ms = Math.round(ready - down);
    ctx.log(`    ${label}: node stopped in ${m.stop_ms} ms, ready again after ${m.outage_ms} ms; storm`);

    // 3. The storm: every client at once, each retrying with backoff until it resumes or time runs out.
    const refused: Record<string, number> = {};
    const resumedAt: number[] = [];
    const deadline = ready + profile.stormResumeMs;
    const resume = async (c: ResumeClient): Promise<void> => {
      let backoff = 100;
      while (performance.now() < deadline) {
        const r: AttemptResult = await c.attempt(true);
        if (r === 'ok') {
          resumedAt.push(performance.now() - ready);
          return;
        }
        refused[r] = (refused[r] ?? 0) + 1;
        await sleep(backoff * (0.5 + Math.random()));
        backoff = Math.min(backoff * 2, 2000);
      }
    };
    await Promise.all(all.filter((c) => c.from >= 0).map(resume));
    resumedAt.sort((a, b) => a - b);
    await sleep(2000);

    // 4. Stop publishing, let the last deliveries arrive, count.
    await publisher.stop();
    const owed = (): number => tallyResume(all, publisher.accepted).lost;
    const drainEnd = performance.now() + 10_000;
    while (performance.now() < drainEnd && owed() > 0) await sleep(250);
    const t = tallyResume(
      all.filter((c) => c.from >= 0),
      publisher.accepted,
    );
    const setups = all
      .filter((c) => c.resumed)
      .map((c) => c.setupMs)
      .sort((a, b) => a - b);
    m.clients = t.clients;
    m.resumed = t.resumed;
    m.unrecovered = t.unrecovered;
    m.lost = t.lost;
    m.clients_losing = t.clientsLosing;
    m.duplicates = t.duplicates;
    m.all_resumed_ms =
      t.resumed === t.clients ? Math.round(resumedAt[resumedAt.length - 1] ?? 0) : Number.NaN;
    m.resumed_p50_ms = Math.round(percentile(resumedAt, 50));
    m.resumed_p99_ms = Math.round(percentile(resumedAt, 99));
    m.setup_p50_ms = round1(percentile(setups, 50));
    m.setup_p99_ms = round1(percentile(setups, 99));
    m.refused = Object.values(refused).reduce((a, b) => a + b, 0);
    m.refused_429 = refused.http_429 ?? 0;
    m.published = publisher.ok;
    m.publish_failed = publisher.failed;
    for (const tr of ['ws', 'sse'] as const) {
      const mine = all.filter((c) => c.spec.transport === tr && c.from >= 0);
      m[`${tr}_resumed`] = mine.filter((c) => c.resumed).length;
      m[`${tr}_lost`] = tallyResume(mine, publisher.accepted).lost;
    }
    if (m.refused > 0)
      result.notes.push(
        `${label}: failed attempts before resuming: ${Object.entries(refused)
          .map(([k, v]) => `${k}×${v}`)
          .join(', ')}`,
      );
    const died = restart.exited?.();
    if (died !== undefined) {
      m.node_exited = 1;
      result.notes.push(`${label}: the restarted node exited during the storm: ${died.slice(-600)}`);
      ctx.log(`    ${label}: the restarted node EXITED during the storm: ${died.slice(-600)}`);
    }
    if (t.resumed < t.clients)
      result.notes.push(
        `${label}: ${t.clients - t.resumed} clients not resumed within ${profile.stormResumeMs} ms`,
      );
    ctx.log(
      `    ${label}: ${t.resumed}/${t.clients} resumed, all by ${m.all_resumed_ms} ms (p50 ${m.resumed_p50_ms}, ` +
        `p99 ${m.resumed_p99_ms}); setup p50 ${m.setup_p50_ms} p99 ${m.setup_p99_ms} ms; refused ${m.refused} ` +
        `(429: ${m.refused_429}); published ${publisher.ok} (failed ${publisher.failed}); lost ${t.lost}, ` +
        `unrecovered ${t.unrecovered}, duplicates ${t.duplicates}`,
    );
  } finally {
    await publisher.stop();
    for (const c of all) c.close();
  }
  return result;
}
