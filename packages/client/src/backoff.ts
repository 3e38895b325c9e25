import type { BackoffOptions } from './defaults.ts';

/**
 * Full-jitter exponential backoff: the delay before retry number `attempt` (0 for the first) is uniform in
 * `[0, min(max, min × factor^attempt))`, never under `floorMs`. Spreading retries over the whole window keeps a
 * hub's clients from coming back in waves after it restarts.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const window = Math.min(options.maxDelayMs, options.minDelayMs * options.factor ** Math.max(0, attempt));
  return Math.max(options.floorMs, Math.floor(random() * window));
}
