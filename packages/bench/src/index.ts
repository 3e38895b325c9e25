// @switchboard/bench: the load generator, its scenarios and its codecs.

export { ArgsError, type CommonArgs, parseCommon, USAGE } from './args.ts';
export { runBenchCli } from './cli.ts';
export type { RunContext, Target } from './context.ts';
export { BENCH_PUSHER_APP, DIALECTS, type Dialect, type DialectName, type Transport } from './dialect.ts';
export { createGenerator, type Generator, maxSubscribers, workerCount } from './generator.ts';
export { GOALS, type Goal, type GoalRow, judge, judgeAll, type Verdict } from './goals.ts';
export { Histogram, type LatencySummary, summarize } from './histogram.ts';
export { generatorLimited, marks } from './marks.ts';
export { CpuMeter, openFileLimit, treeCpuSeconds, treeRssKb } from './probes.ts';
export { FULL, type Profile, QUICK, SCENARIOS, type ScenarioName } from './profile.ts';
export { Publisher } from './publisher.ts';
export type { Limit, ScenarioResult, StepResult } from './results.ts';
export { STUCK_NAMESPACES_JSON, STUCK_POLICIES, stuckNamespace } from './scenarios/stuck-policies.ts';
export { hubCapacity, runTarget, type Selection } from './suite.ts';
export { headline, num, renderTable, resultsTable } from './table.ts';
