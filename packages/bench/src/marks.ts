// The marks after a figure in every table: `*` a floor, `?` an unconfirmed maximum.

import type { ScenarioResult } from './results.ts';

/**
 * The figure is a floor, not the hub's limit: the generator (alone or with the hub) or the publisher was at
 * its limit, or the ramp ended before any step failed.
 */
export function generatorLimited(r: ScenarioResult): boolean {
  return r.notes.some(
    (n) =>
      n.includes('a floor') || n.includes('at least the figure') || n.includes('generator was at full CPU'),
  );
}

/**
 * The marks after a figure: `*` when it is a floor (above), `?` when it is a maximum a second step at the same
 * rate did not confirm (files written before that check have no `unconfirmed` list: nothing marked).
 */
export function marks(r: ScenarioResult, metric: string): string {
  const unconfirmed = (r.unconfirmed as string[] | undefined)?.includes(metric) === true;
  return `${generatorLimited(r) ? '*' : ''}${unconfirmed ? '?' : ''}`;
}
