// The ramp: raise the delivery rate step by step until a step fails (p99 over the bound, or anything lost),
// then bisect between the last passing and the first failing rate, then run the best rate once more: a maximum
// is quoted as confirmed only when it passed twice. Bounded by step count and a deadline.

import type { RunContext } from './context.ts';
import type { StepResult } from './results.ts';
import { formatStep, runStep, type StepSpec } from './step.ts';

export interface RampOutcome {
  steps: StepResult[];
  /** The passing step with the highest delivered rate. */
  best: StepResult | undefined;
  /** The lowest failing step. */
  firstFail: StepResult | undefined;
  /** The second step at `best`'s rate: passed (true), failed, or never run for lack of time (undefined). */
  confirmation: StepResult | undefined;
}

/** A step at `perSec` deliveries per second. */
export type StepAt = (perSec: number, label: string) => StepSpec;

/** Runs one step: `runStep`, or in tests a script of results. */
export type StepRunner = (ctx: RunContext, spec: StepSpec) => Promise<StepResult>;

/** CPU used by neither side (1 = a core) above which a step is run again, at most DISTURBED_RETRIES times. */
const DISTURBED_CPU = 0.5;
const DISTURBED_RETRIES = 2;

/** Steps tried below the start when the very first step fails. */
const MAX_DESCENT = 3;

/** The label of the second step at the best rate. */
const CONFIRM = 'confirm max';

export async function ramp(
  ctx: RunContext,
  start: number,
  deadline: number,
  at: StepAt,
  run: StepRunner = runStep,
): Promise<RampOutcome> {
  const { profile } = ctx;
  const out: RampOutcome = { steps: [], best: undefined, firstFail: undefined, confirmation: undefined };
  let bestAt = 0;
  const step = async (perSec: number, label: string): Promise<StepResult> => {
    let r = await run(ctx, at(perSec, label));
    ctx.log(`    ${formatStep(r)}`);
    // Other processes took a core's worth of CPU: the step says little about the hub. Try it again.
    for (let i = 0; i < DISTURBED_RETRIES && (r.otherCpu ?? 0) > DISTURBED_CPU; i++) {
      ctx.log('    (disturbed by other load on the machine: again)');
      r = await run(ctx, at(perSec, `${label} again`));
      ctx.log(`    ${formatStep(r)}`);
    }
    out.steps.push(r);
    if (label === CONFIRM) return r;
    if (r.pass && (out.best === undefined || r.deliveredPerSec > out.best.deliveredPerSec)) {
      out.best = r;
      bestAt = perSec;
    }
    if (!r.pass && (out.firstFail === undefined || r.targetPerSec < out.firstFail.targetPerSec))
      out.firstFail = r;
    return r;
  };
  const timeLeft = (): boolean => performance.now() + profile.stepMs + profile.drainMaxMs < deadline;

  // Warm-up at the first rate, not recorded: the hub's and the generator's code paths get compiled, and
  // first-publication costs (a channel's history, buffers) are paid before anything is measured.
  await run({ ...ctx, profile: { ...profile, stepMs: profile.warmupMs } }, at(start, 'warm-up'));

  let lo = 0;
  let hi = 0;
  let rate = start;
  // A step that failed with the generator at its limit says nothing about the hub between it and the last
  // passing rate: bisecting there only measures the generator, at length, so it is skipped.
  let generatorFailed = false;
  for (let i = 0; i < profile.rampMaxSteps && timeLeft(); i++) {
    const r = await step(rate, `ramp ${i + 1}`);
    if (!r.pass) {
      hi = rate;
      generatorFailed = r.limit === 'generator' || r.limit === 'both';
      break;
    }
    lo = rate;
    rate *= profile.rampFactor;
  }
  // The first step already failed: walk down to find any passing rate.
  for (let i = 0; lo === 0 && hi > 0 && i < MAX_DESCENT && timeLeft(); i++) {
    const down = hi / profile.rampFactor;
    const r = await step(down, `down ${i + 1}`);
    if (r.pass) lo = down;
    else hi = down;
  }
  if (generatorFailed && lo > 0) ctx.log('    (the generator was the limit: no bisection)');
  for (let i = 0; !generatorFailed && lo > 0 && hi > 0 && i < profile.refine && timeLeft(); i++) {
    const mid = Math.sqrt(lo * hi);
    const r = await step(mid, `bisect ${i + 1}`);
    if (r.pass) lo = mid;
    else hi = mid;
  }
  // One passing step can be luck (a quiet moment, a GC that fell between steps): the maximum is run again.
  if (out.best !== undefined && timeLeft()) out.confirmation = await step(bestAt, CONFIRM);
  return out;
}
