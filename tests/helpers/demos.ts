import type { Browser, Page } from 'playwright-core';
import { type RunningDemos, startDemos } from '../../demos/launcher.ts';
import { eventually, openPage } from './browser.ts';

/** `npm run demos` in this process, on 127.0.0.1 and a free port, with only the demos a test needs. */
export function startTestDemos(
  only: readonly string[],
  backendEnv: Record<string, string> = {},
): Promise<RunningDemos> {
  return startDemos({
    port: 0,
    host: '127.0.0.1',
    only,
    env: {},
    backendEnv,
    logLevel: process.env.SWITCHBOARD_TEST_LOG ?? 'silent',
  });
}

/** Opens a demo page in a context of its own and waits until the kit shows it connected. */
export async function openDemo(
  browser: Browser,
  demos: RunningDemos,
  path: string,
): Promise<{ page: Page; problems: string[] }> {
  const opened = await openPage(browser, `${demos.url}${path}`);
  await eventually(
    `${path} connected`,
    async () =>
      (await opened.page.getAttribute('.kit-status', 'data-state')) === 'connected' ? true : undefined,
    { timeoutMs: 15_000, lastSeen: () => opened.page.textContent('.kit-status') },
  );
  return opened;
}

/** Presses the kit's "cut" control and waits for the resume it reports. */
export async function cutAndResume(
  page: Page,
): Promise<{ ms: number; refilled: number; missing: number; recovered: boolean }> {
  const before = Number((await page.getAttribute('.kit-note', 'data-resumes')) ?? '0');
  const client = await page.getAttribute('.kit-status', 'data-client');
  await page.click('.kit-cut');
  await eventually(
    'the resume after the cut',
    async () =>
      Number((await page.getAttribute('.kit-note', 'data-resumes')) ?? '0') > before ? true : undefined,
    // The SDK reconnects within its backoff (2 s at most in the demos), an EventSource after the hub's retry
    // hint (2 s, spread to 6 s): well inside this.
    { timeoutMs: 20_000, lastSeen: () => page.textContent('.kit-note') },
  );
  const after = await page.getAttribute('.kit-status', 'data-client');
  if (after === client) throw new Error('the page resumed on the same connection: the cut did not happen');
  return JSON.parse((await page.getAttribute('.kit-note', 'data-resume'))!);
}
