/**
 * Polls `probe` every 5 ms until it returns something other than undefined/false, and resolves with it; fails
 * with `what` (called for its message) after `timeoutMs`. Tests wait on outcomes, never on fixed sleeps.
 */
export async function until<T>(
  probe: () => T | undefined | false,
  what: () => string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** {@link until} for an asynchronous probe (an HTTP call): polls it, one call at a time. */
export async function untilAsync<T>(
  probe: () => Promise<T | undefined | false>,
  what: () => string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
