// The hubs a suite run measures: Switchboard, the four Node baselines, and the peers when installed.
// Each knows whether it can run here, how to start it on a port, and what it speaks.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BENCH_PUSHER_APP,
  DIALECTS,
  type Dialect,
  STUCK_NAMESPACES_JSON,
  type Transport,
} from '@switchboard/bench';
import { nchanAvailable, startNchan } from './adapters/nchan.ts';
import { redisAvailable, startRedisHub } from './adapters/redis-nodes.ts';
import { socketIoAvailable } from './adapters/socketio.ts';
import { type Pinning, type Started, startProcess, waitHealthy } from './process.ts';

export interface TargetDef {
  name: string;
  dialect: Dialect;
  transports: readonly Transport[];
  /** Why it cannot run here (and how to make it), or undefined when it can. */
  unavailable(): string | undefined;
  /** Runs only when named in `--targets` (the multi-node targets: they answer another question). */
  optIn?: boolean;
  start(port: number, apiKey: string, pin: Pinning): Promise<Started>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = process.execPath;
const HUB_BIN = `${ROOT}packages/server/bin/switchboard.js`;

/**
 * Extra Node flags for every Node hub the suite starts: `--cpu-prof DIR` on the suite's command line sets
 * `--cpu-prof --cpu-prof-dir=DIR`, and each hub writes its profile there when it is stopped.
 */
export const nodeFlags: string[] = [];

/** Starts a Node script and waits for its /healthz. */
async function startNode(
  script: string,
  args: string[],
  port: number,
  pin: Pinning,
  env: NodeJS.ProcessEnv = process.env,
  flags: readonly string[] = [],
): Promise<Started> {
  const p = startProcess(NODE, [...nodeFlags, ...flags, script, ...args], pin, env);
  if (!(await waitHealthy(port, 15_000, p))) {
    await p.stop();
    throw new Error(`did not answer /healthz on port ${port}: ${p.output().trim() || '(no output)'}`);
  }
  return p;
}

/** The hub itself, started as a user would (`switchboard serve`), with `flags` for its Node. */
function switchboard(
  name: string,
  flags: readonly string[],
  optIn = false,
  bin = HUB_BIN,
  env: Readonly<Record<string, string>> = {},
): TargetDef {
  return {
    name,
    dialect: DIALECTS.switchboard,
    transports: ['ws', 'sse'],
    ...(optIn ? { optIn } : {}),
    unavailable: () => (existsSync(bin) ? undefined : `${bin} not found (the hub is not built yet)`),
    start: (port, apiKey, pin) =>
      startNode(
        bin,
        ['serve', '--port', String(port), '--api-key', apiKey, '--log-level', 'warn'],
        port,
        pin,
        // The namespaces of the stuck-reader scenario, one per delivery policy (unused by the others).
        { ...process.env, SWITCHBOARD_NAMESPACES: STUCK_NAMESPACES_JSON, ...env },
        flags,
      ),
  };
}

/**
 * The hub of another checkout of this repository (`--base-checkout DIR`: a `git worktree` of main at a branch's
 * base, with its own `npm install`), started the same way with this suite's Node: a change and what it changed,
 * measured in one run.
 */
export function checkoutTarget(dir: string): TargetDef {
  const target = switchboard(
    'switchboard-base',
    [],
    false,
    resolve(dir, 'packages/server/bin/switchboard.js'),
  );
  const modules = resolve(dir, 'node_modules');
  return {
    ...target,
    unavailable: () =>
      existsSync(modules) ? target.unavailable() : `${modules} not found (run npm install in ${dir})`,
  };
}

/** The hub with one Pusher app, measured through the Pusher dialect. */
function pusherTarget(): TargetDef {
  const hub = switchboard('switchboard-pusher', [], true);
  return {
    ...hub,
    dialect: DIALECTS.pusher,
    transports: ['ws'],
    start: (port, apiKey, pin) =>
      startNode(
        HUB_BIN,
        ['serve', '--port', String(port), '--api-key', apiKey, '--log-level', 'warn'],
        port,
        pin,
        {
          ...process.env,
          SWITCHBOARD_PUSHER_APP_ID: BENCH_PUSHER_APP.id,
          SWITCHBOARD_PUSHER_APP_KEY: BENCH_PUSHER_APP.key,
          SWITCHBOARD_PUSHER_APP_SECRET: BENCH_PUSHER_APP.secret,
        },
      ),
  };
}

function baseline(name: string, transport: Transport): TargetDef {
  const script = `${ROOT}bench/baselines/${name}.ts`;
  return {
    name,
    dialect: DIALECTS.switchboard,
    transports: [transport],
    unavailable: () => undefined,
    start: (port, apiKey, pin) => startNode(script, ['--port', String(port), '--api-key', apiKey], port, pin),
  };
}

export const TARGETS: TargetDef[] = [
  switchboard('switchboard', []),
  // The same hub with a small young generation (see docs/benchmarks.md, idle memory): less memory per idle
  // connection for some CPU at high message rates. Opt-in; the full run in the docs names it.
  switchboard('switchboard-lowmem', ['--max-semi-space-size=4'], true),
  // The same hub with V8's own young-generation sizing (up to 64 MB per semi-space on Node 24), as before its
  // launcher capped it at 16 MB (SWITCHBOARD_MAX_SEMI_SPACE_MB=0; docs/configuration.md, "Node runtime flags").
  switchboard('switchboard-uncapped', [], true, HUB_BIN, { SWITCHBOARD_MAX_SEMI_SPACE_MB: '0' }),
  // The same hub's Pusher Channels dialect (pusher-js's protocol at /app/{key}), against its own protocol:
  // opt-in, `--targets switchboard,switchboard-pusher --scenario fanout` (docs/benchmarks.md).
  pusherTarget(),
  baseline('ws-naive', 'ws'),
  baseline('ws-once', 'ws'),
  baseline('sse-naive', 'sse'),
  baseline('sse-once', 'sse'),
  {
    name: 'nchan',
    dialect: DIALECTS.nchan,
    transports: ['ws', 'sse'],
    unavailable: nchanAvailable,
    start: startNchan,
  },
  {
    name: 'socketio',
    dialect: DIALECTS.socketio,
    transports: ['ws'],
    unavailable: socketIoAvailable,
    start: (port, apiKey, pin) =>
      startNode(
        `${ROOT}bench/adapters/socketio-server.ts`,
        ['--port', String(port), '--api-key', apiKey],
        port,
        pin,
      ),
  },
  // Cross-node fan-out (docs/benchmarks.md): the same hub over the Redis engine, one node vs three.
  {
    name: 'switchboard-redis',
    dialect: DIALECTS.switchboard,
    transports: ['ws', 'sse'],
    optIn: true,
    unavailable: redisAvailable,
    start: (port, apiKey, pin) => startRedisHub(1, port, apiKey, pin, NODE, nodeFlags, HUB_BIN),
  },
  {
    name: 'switchboard-redis-x3',
    dialect: DIALECTS.switchboard,
    transports: ['ws', 'sse'],
    optIn: true,
    unavailable: redisAvailable,
    start: (port, apiKey, pin) => startRedisHub(3, port, apiKey, pin, NODE, nodeFlags, HUB_BIN),
  },
  // What `waitReplicas` costs a publish (docs/benchmarks.md): one node over a Redis with a replica, without and
  // with the engine waiting for the replica.
  {
    name: 'switchboard-redis-replica',
    dialect: DIALECTS.switchboard,
    transports: ['ws', 'sse'],
    optIn: true,
    unavailable: redisAvailable,
    start: (port, apiKey, pin) =>
      startRedisHub(1, port, apiKey, pin, NODE, nodeFlags, HUB_BIN, { replica: true }),
  },
  {
    name: 'switchboard-redis-wait',
    dialect: DIALECTS.switchboard,
    transports: ['ws', 'sse'],
    optIn: true,
    unavailable: redisAvailable,
    start: (port, apiKey, pin) =>
      startRedisHub(1, port, apiKey, pin, NODE, nodeFlags, HUB_BIN, {
        replica: true,
        query: '?waitReplicas=1',
      }),
  },
];
