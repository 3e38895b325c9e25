// Command-line options shared by `switchboard bench` and the suite (`npm run bench`).

import { parseArgs } from 'node:util';
import { type DialectName, isDialectName, type Transport, type WireVersion } from './dialect.ts';
import {
  DEFAULT_SCENARIOS,
  FULL,
  isScenario,
  type Profile,
  QUICK,
  SCENARIOS,
  type ScenarioName,
} from './profile.ts';

export const OPTIONS = {
  target: { type: 'string' },
  'api-key': { type: 'string' },
  dialect: { type: 'string' },
  transport: { type: 'string' },
  scenario: { type: 'string' },
  subscribers: { type: 'string' },
  'fanout-sizes': { type: 'string' },
  quick: { type: 'boolean' },
  http2: { type: 'boolean' },
  wire: { type: 'string' },
  workers: { type: 'string' },
  pid: { type: 'string' },
  p99: { type: 'string' },
  'step-ms': { type: 'string' },
  json: { type: 'string' },
  'soak-minutes': { type: 'string' },
  'soak-sample-seconds': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const USAGE = `options:
  --target URL           hub to load (default http://127.0.0.1:8080)
  --api-key KEY          bearer key of the hub's HTTP API (default: $SWITCHBOARD_API_KEY)
  --dialect NAME         switchboard (default), nchan, socketio or pusher
  --transport ws|sse|both   (default both)
  --scenario LIST        comma-separated: ${SCENARIOS.join(', ')} (default all but single, stuck,
                         histogram, storm-resume and soak)
  --subscribers N        subscribers for every scenario (fan-out runs this one size)
  --fanout-sizes LIST    comma-separated fan-out sizes (default 1000,10000,20000; quick 1000)
  --http2                SSE subscribers as HTTP/2 streams (h2c with prior knowledge, 100 per connection)
                         instead of one HTTP/1.1 connection each; run once with and once without to compare
  --wire 1|2              Switchboard's wire version for the subscribers (default 2, what the SDK speaks:
                         compact message frames; 1: a full message frame per publication)
  --quick                short steps and 1,000 subscribers (well under two minutes a target)
  --workers N            generator processes (default: one per core the generator may use, more for fds)
  --pid PID              the hub's process id, to read its memory and CPU (idle scenario, hub-bound checks)
  --p99 MS               latency bound of a passing step (default 250)
  --step-ms MS           length of one publishing step
  --json FILE            also write the results as JSON
  --soak-minutes N       length of the soak scenario (default 30)
  --soak-sample-seconds N   how often the soak reads the hub's RSS and heap (default 10)`;

export interface CommonArgs {
  target: URL | undefined;
  apiKey: string | undefined;
  dialect: DialectName;
  transports: Transport[];
  scenarios: ScenarioName[];
  subscribers: number | undefined;
  quick: boolean;
  /** SSE subscribers over HTTP/2 (h2c with prior knowledge), 100 streams per connection. */
  http2: boolean;
  /** Switchboard's wire version the subscribers ask for. */
  wire: WireVersion;
  workers: number | undefined;
  pid: number | undefined;
  profile: Profile;
  json: string | undefined;
  help: boolean;
}

export class ArgsError extends Error {}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new ArgsError(`--${name} must be a positive integer, not ${v}`);
  return n;
}

export function parseCommon(argv: string[], extra: Record<string, { type: 'string' | 'boolean' }> = {}) {
  let v: Record<string, string | boolean | undefined>;
  try {
    const options = { ...OPTIONS, ...extra };
    v = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as typeof v;
  } catch (err) {
    // node:util reports unknown or malformed options as a TypeError with a code; callers get one error type.
    throw new ArgsError((err as Error).message);
  }
  const str = (k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const dialect = str('dialect') ?? 'switchboard';
  if (!isDialectName(dialect)) throw new ArgsError(`unknown --dialect ${dialect}`);
  const t = str('transport') ?? 'both';
  if (t !== 'ws' && t !== 'sse' && t !== 'both') throw new ArgsError(`--transport must be ws, sse or both`);
  const list = (str('scenario') ?? 'all').split(',').map((s) => s.trim());
  const scenarios: ScenarioName[] = list.includes('all') ? [...DEFAULT_SCENARIOS] : [];
  for (const s of list) {
    if (s === 'all') continue;
    if (!isScenario(s)) throw new ArgsError(`unknown --scenario ${s} (known: ${SCENARIOS.join(', ')})`);
    scenarios.push(s);
  }
  const quick = v.quick === true;
  const profile: Profile = { ...(quick ? QUICK : FULL) };
  const p99 = positive('p99', str('p99'));
  if (p99 !== undefined) profile.p99BoundMs = p99;
  const stepMs = positive('step-ms', str('step-ms'));
  if (stepMs !== undefined) profile.stepMs = stepMs;
  const soakMinutes = positive('soak-minutes', str('soak-minutes'));
  if (soakMinutes !== undefined) profile.soakMinutes = soakMinutes;
  const soakSample = positive('soak-sample-seconds', str('soak-sample-seconds'));
  if (soakSample !== undefined) profile.soakSampleSeconds = soakSample;
  const sizes = str('fanout-sizes');
  if (sizes !== undefined)
    profile.fanoutSizes = sizes.split(',').map((s) => positive('fanout-sizes', s.trim()) ?? 0);
  const wireText = str('wire') ?? '2';
  if (wireText !== '1' && wireText !== '2') throw new ArgsError(`--wire must be 1 or 2, not ${wireText}`);
  const wire: WireVersion = wireText === '1' ? 1 : 2;
  const target = str('target');
  let url: URL | undefined;
  if (target !== undefined) {
    try {
      url = new URL(target);
    } catch {
      throw new ArgsError(`--target is not a URL: ${target}`);
    }
  }
  const common: CommonArgs = {
    target: url,
    apiKey: str('api-key') ?? process.env.SWITCHBOARD_API_KEY,
    dialect,
    transports: t === 'both' ? ['ws', 'sse'] : [t],
    scenarios,
    subscribers: positive('subscribers', str('subscribers')),
    quick,
    http2: v.http2 === true,
    wire,
    workers: positive('workers', str('workers')),
    pid: positive('pid', str('pid')),
    profile,
    json: str('json'),
    help: v.help === true,
  };
  return { common, values: v };
}
