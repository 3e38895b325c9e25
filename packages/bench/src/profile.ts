// Every knob of a benchmark run, with the full and the quick defaults in one place.

export interface Profile {
  /** Fan-out sizes (subscribers on one channel). Full: 1,000 / 10,000 / 20,000; quick: 1,000. */
  fanoutSizes: number[];
  /** Fixed delivery rates (messages delivered per second, all subscribers together) run before the ramp. */
  fixedRates: number[];
  /** First ramp step, deliveries per second. Full 20,000, quick 40,000. */
  rampStart: number;
  /** Each ramp step multiplies the rate by this until a step fails. Default 2. */
  rampFactor: number;
  /** At most this many doubling steps. Full 8, quick 4. */
  rampMaxSteps: number;
  /** Bisection steps between the last passing and the first failing rate. Full 2, quick 0. */
  refine: number;
  /** Length of one publishing step, ms. Full 3,000, quick 700. */
  stepMs: number;
  /** A step lasts long enough for at least this many publish rounds. Default 5. */
  minRoundsPerStep: number;
  /** …but never longer than this, ms. Default 10,000. */
  maxStepMs: number;
  /** Publish for this long at the ramp's first rate before measuring (results discarded), ms. Full 2,000, quick 700. */
  warmupMs: number;
  /**
   * Before each step, wait up to this long (ms) for other processes to leave the machine quiet. Full 30,000;
   * quick 0 (no wait: the quick run must end in two minutes).
   */
  quietWaitMs: number;
  /** After a step, wait for the owed deliveries until this long passes with none arriving. Full 500, quick 300. */
  drainIdleMs: number;
  /** …and at most this long. Full 3,000, quick 1,000. */
  drainMaxMs: number;
  /** A step passes when p99 latency is at most this, ms, and nothing was lost. Default 250. */
  p99BoundMs: number;
  /** Subscribers (one channel each) in the many-channels scenario. Full 10,000, quick 1,000. */
  channelsSubscribers: number;
  /** First many-channels ramp step, deliveries per second. Full 10,000, quick 20,000. */
  channelsRampStart: number;
  /** Connections opened for the idle-memory and connection-storm scenarios. Full 10,000, quick 1,000. */
  idleSubscribers: number;
  /** Wait after the last connection opened before reading the hub's memory, ms. Full 2,000, quick 300. */
  settleMs: number;
  /** Connections in flight at once while opening (all workers together). Default 1,000. */
  connectConcurrency: number;
  /** Per-connection time limit to become live, ms. Default 15,000. */
  connectTimeoutMs: number;
  /** Time limit of one whole open phase, ms. Full 60,000, quick 20,000. */
  openDeadlineMs: number;
  /** Subscribers and publishes/s of the bytes-on-the-wire scenario. */
  bytesSubscribers: number;
  bytesRate: number;
  /** Publishes per second, and for how long, of the publish-latency scenario (no subscribers). */
  publishRate: number;
  publishMs: number;
  /** Concurrent publishes and duration of the closed-loop publish throughput measurement. */
  publishConcurrency: number;
  /** Size of the published `data` JSON, bytes. Default 100. */
  payloadBytes: number;
  /** Hard limit on one scenario (for one transport), ms. Full 300,000, quick 30,000. */
  scenarioDeadlineMs: number;
  /** Healthy subscribers of the hot channel in the stuck-reader scenario. Default 1,000. */
  stuckSubscribers: number;
  /** Deliveries per second to them (all together) in each of its steps. Full 20,000, quick 10,000. */
  stuckRate: number;
  /** Bytes published to the stuck reader alone before the "present" step, to fill its socket. Default 16 MiB. */
  stuckFillBytes: number;
  /** Subscribers of the histogram scenario (one channel). Default 1,000. */
  histogramSubscribers: number;
  /** Deliveries per second (all subscribers together) of its measured step. Default 20,000. */
  histogramRate: number;
  /** Length of the soak, minutes (`--soak-minutes`). Default 30. */
  soakMinutes: number;
  /** The soak reads the hub's RSS and heap this often, seconds (`--soak-sample-seconds`). Default 10. */
  soakSampleSeconds: number;
  /** Subscribers of one soak cycle (half WebSocket, half SSE), closed and opened again every cycle. Default 1,000. */
  soakSubscribers: number;
  /** Deliveries per second (all subscribers together) of each soak cycle's step. Default 5,000. */
  soakRate: number;
  /** The soak calls memory flat when its fitted growth over the second half is at most this, percent. Default 10. */
  soakMaxGrowthPct: number;
  /** Clients of the reconnect storm (half WebSocket, half SSE), all on the restarted node. Default 10,000. */
  stormClients: number;
  /** Channels they are spread over (the storm publishes round-robin to them). Default 100. */
  stormChannels: number;
  /** Publishes per second, all channels together, before, during and after the restart. Default 200. */
  stormPublishRate: number;
  /** `limits.connectionRate` of the restarted node in the storm's "limit on" run. Default 100. */
  stormConnectionRate: number;
  /** Time allowed for every client to resume after the node is ready again, ms. Default 120,000. */
  stormResumeMs: number;
}

export const FULL: Profile = {
  fanoutSizes: [1_000, 10_000, 20_000],
  fixedRates: [10_000, 50_000],
  rampStart: 20_000,
  rampFactor: 2,
  rampMaxSteps: 8,
  refine: 2,
  stepMs: 3_000,
  minRoundsPerStep: 5,
  maxStepMs: 10_000,
  warmupMs: 2_000,
  quietWaitMs: 30_000,
  drainIdleMs: 500,
  drainMaxMs: 3_000,
  p99BoundMs: 250,
  channelsSubscribers: 10_000,
  channelsRampStart: 10_000,
  idleSubscribers: 10_000,
  settleMs: 2_000,
  connectConcurrency: 1_000,
  connectTimeoutMs: 15_000,
  openDeadlineMs: 60_000,
  bytesSubscribers: 100,
  bytesRate: 100,
  publishRate: 1_000,
  publishMs: 3_000,
  publishConcurrency: 16,
  payloadBytes: 100,
  scenarioDeadlineMs: 300_000,
  stuckSubscribers: 1_000,
  stuckRate: 20_000,
  stuckFillBytes: 16 * 1024 * 1024,
  histogramSubscribers: 1_000,
  histogramRate: 20_000,
  soakMinutes: 30,
  soakSampleSeconds: 10,
  soakSubscribers: 1_000,
  soakRate: 5_000,
  soakMaxGrowthPct: 10,
  stormClients: 10_000,
  stormChannels: 100,
  stormPublishRate: 200,
  stormConnectionRate: 100,
  stormResumeMs: 120_000,
};

export const QUICK: Profile = {
  ...FULL,
  fanoutSizes: [1_000],
  fixedRates: [],
  rampStart: 40_000,
  rampMaxSteps: 4,
  refine: 0,
  stepMs: 700,
  warmupMs: 700,
  quietWaitMs: 0,
  drainIdleMs: 300,
  drainMaxMs: 1_000,
  channelsSubscribers: 1_000,
  channelsRampStart: 20_000,
  idleSubscribers: 1_000,
  settleMs: 300,
  openDeadlineMs: 20_000,
  publishMs: 1_000,
  scenarioDeadlineMs: 30_000,
  stuckRate: 10_000,
};

export const SCENARIOS = [
  'fanout',
  'channels',
  'single',
  'single-pipeline',
  'single-stream',
  'idle',
  'storm',
  'publish',
  'bytes',
  'stuck',
  'histogram',
  'storm-resume',
  'soak',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/**
 * Scenarios asked for by name only: `stuck` (it needs the hub's bench namespaces), `single` (the many-channels load
 * as one publish request per message, which would lengthen every run; `single-pipeline` the same requests pipelined
 * on each connection, `single-stream` the same publishes as lines of `POST /api/publish/stream`), `histogram` (a check of the hub's own
 * metrics, not a comparison of hubs), `storm-resume` (it restarts the hub) and `soak` (30 minutes).
 */
export const NAMED_ONLY: readonly ScenarioName[] = [
  'stuck',
  'single',
  'single-pipeline',
  'single-stream',
  'histogram',
  'storm-resume',
  'soak',
];
/** What `all` (the default) runs. */
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = SCENARIOS.filter((s) => !NAMED_ONLY.includes(s));

export function isScenario(s: string): s is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(s);
}
