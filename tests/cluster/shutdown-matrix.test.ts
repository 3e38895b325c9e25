// The shutdown fault matrix (issue 13, lesser gaps): a real `switchboard serve` process stopped with SIGTERM while
// something is wrong (its Redis engine killed or frozen, a publish in flight to a frozen engine, WebSocket and SSE
// clients that stopped reading with data queued, API publishes in flight). Each case asserts that the process
// exits within `server.shutdownTimeout` plus a generous bound (the claim is "does not hang for minutes", not
// speed), and, in a second variant, that a second SIGTERM shortly after the first ends it at once with status 1.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisServer } from '@switchboard/test-helpers/redis-server';
import { HubProcess, NODE_API_KEY } from '../helpers/hub-process.ts';
import { SlowReader } from '../helpers/slow-reader.ts';

const SHUTDOWN_TIMEOUT_MS = 2_000;
/** Over the shutdown timeout: the process must be gone by then (a loaded machine, so generous). */
const EXIT_BOUND_MS = SHUTDOWN_TIMEOUT_MS + 8_000;
/** After a second SIGTERM: "at once", generously. */
const SECOND_SIGNAL_BOUND_MS = 2_000;
/** In the second-signal variant the drain would last long; the second signal must not wait for it. */
const LONG_SHUTDOWN_TIMEOUT = '60s';

interface Exit {
  readonly ms: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function startHub(engineUrl: string, shutdownTimeout: string): Promise<HubProcess> {
  return HubProcess.start(engineUrl, [], { SWITCHBOARD_SERVER_SHUTDOWN_TIMEOUT: shutdownTimeout });
}

/** Resolves when the process exits, or with `undefined` after `boundMs` (then SIGKILLs it, so nothing leaks). */
function exitWithin(hub: HubProcess, from: number, boundMs: number): Promise<Exit | undefined> {
  const child = hub.child;
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ ms: Date.now() - from, code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      resolve(undefined);
    }, boundMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve({ ms: Date.now() - from, code, signal });
    };
    child.once('exit', onExit);
  });
}

/** SIGTERM once: the process drains and exits within the shutdown timeout plus the bound. */
async function assertDrainEnds(hub: HubProcess, label: string): Promise<void> {
  const sent = Date.now();
  hub.child.kill('SIGTERM');
  const exit = await exitWithin(hub, sent, EXIT_BOUND_MS);
  assert.ok(
    exit !== undefined,
    `${label}: still running ${EXIT_BOUND_MS} ms after SIGTERM; output: ${hub.output}`,
  );
  assert.equal(exit.signal, null, `${label}: exited by a signal; output: ${hub.output}`);
  assert.ok(exit.code === 0 || exit.code === 1, `${label}: exit status ${exit.code}; output: ${hub.output}`);
}

/** SIGTERM, then SIGTERM again shortly after: the second ends the process at once, status 1. */
async function assertSecondSignalExits(hub: HubProcess, label: string): Promise<void> {
  hub.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(hub.child.exitCode, null, `${label}: the drain must still be running at the second signal`);
  const sent = Date.now();
  hub.child.kill('SIGTERM');
  const exit = await exitWithin(hub, sent, SECOND_SIGNAL_BOUND_MS);
  assert.ok(
    exit !== undefined,
    `${label}: still running ${SECOND_SIGNAL_BOUND_MS} ms after the second SIGTERM; output: ${hub.output}`,
  );
  assert.equal(exit.code, 1, `${label}: a second signal exits with status 1; output: ${hub.output}`);
  assert.match(hub.output, /SIGTERM again, exiting without waiting/);
}

/** A publish that may never be answered (a frozen engine, a hub going away): errors are the point, not failures. */
function publishInFlight(hub: HubProcess, channel: string, i: number): Promise<unknown> {
  return fetch(`${hub.url}/api/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${NODE_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel, data: { i } }),
    signal: AbortSignal.timeout(30_000),
  }).then(
    (res) => res.text(),
    () => undefined,
  );
}

/** Clients that stopped reading, a WebSocket and an SSE stream, with more queued for them than the kernel takes. */
async function stuckReaders(hub: HubProcess): Promise<SlowReader[]> {
  const ws = await SlowReader.websocket(hub.url, [{ type: 'subscribe', channel: 'stuck', id: 1 }]);
  const sse = await SlowReader.sse(hub.url, '/sse?channel=stuck', 1);
  ws.pause();
  sse.pause();
  const filler = 'z'.repeat(60 * 1024);
  for (let i = 0; i < 60; i++) await hub.publish('stuck', { i, filler });
  return [ws, sse];
}

type Scenario = (hub: HubProcess, redis: RedisServer | undefined) => Promise<() => void>;

/** Each scenario sets the fault up and returns what cleans it up after the process is gone. */
const scenarios: Record<string, { redis: boolean; setUp: Scenario }> = {
  'engine down (redis-server SIGKILLed)': {
    redis: true,
    setUp: async (hub, redis) => {
      await hub.publish('before', { ok: true });
      await redis!.stop();
      return () => {};
    },
  },
  'engine frozen (redis-server SIGSTOPped)': {
    redis: true,
    setUp: async (hub, redis) => {
      await hub.publish('before', { ok: true });
      redis!.pause();
      return () => redis!.resume();
    },
  },
  'engine slow (a publish in flight to a frozen redis-server)': {
    redis: true,
    setUp: async (hub, redis) => {
      await hub.publish('before', { ok: true });
      redis!.pause();
      for (let i = 0; i < 5; i++) void publishInFlight(hub, 'slow', i);
      await new Promise((r) => setTimeout(r, 200));
      return () => redis!.resume();
    },
  },
  'stuck readers (WebSocket and SSE, data queued)': {
    redis: false,
    setUp: async (hub) => {
      const readers = await stuckReaders(hub);
      return () => {
        for (const r of readers) r.close();
      };
    },
  },
  'mid-publish (API publishes in flight)': {
    redis: true,
    setUp: async (hub) => {
      const readers = await stuckReaders(hub);
      for (let i = 0; i < 200; i++) void publishInFlight(hub, 'busy', i);
      return () => {
        for (const r of readers) r.close();
      };
    },
  },
};

describe('shutdown fault matrix: SIGTERM always ends the process', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    await redis.stop();
  });

  for (const [label, scenario] of Object.entries(scenarios)) {
    for (const variant of ['SIGTERM', 'SIGTERM twice'] as const) {
      it(`${label}: ${variant}`, async () => {
        if (scenario.redis) await redis.restart(); // a fresh, running server for each case
        const engine = scenario.redis ? redis.url : 'memory';
        const hub = await startHub(engine, variant === 'SIGTERM' ? '2s' : LONG_SHUTDOWN_TIMEOUT);
        let cleanUp = () => {};
        const holders: SlowReader[] = [];
        try {
          // A drain held open (readers that take nothing are cut only after a grace of 1 s), so the second
          // signal arrives while the first is still draining.
          if (variant === 'SIGTERM twice') holders.push(...(await stuckReaders(hub)));
          cleanUp = await scenario.setUp(hub, scenario.redis ? redis : undefined);
          if (variant === 'SIGTERM') await assertDrainEnds(hub, label);
          else await assertSecondSignalExits(hub, label);
        } finally {
          await hub.kill();
          cleanUp();
          for (const r of holders) r.close();
        }
      });
    }
  }
});
