// The collaborative-editing demo in Chromium, two editors (WebSocket and SSE) on a real hub: text typed at once
// on both sides converges; edits made while one side is offline merge when it reconnects; each sees the other's
// cursor; the updates are bytes, and survive a cut connection through resume; a late joiner starts from the
// backend's snapshot plus history and has the same text.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningDemos } from '../../demos/launcher.ts';
import { eventually, launchBrowser, openPage } from '../helpers/browser.ts';
import { cutAndResume, startTestDemos } from '../helpers/demos.ts';

describe('demo: collaborative editing', () => {
  let browser: Browser;
  let demos: RunningDemos;

  before(async () => {
    browser = await launchBrowser();
    demos = await startTestDemos(['collab'], { DEMO_COLLAB_SNAPSHOT_MS: '300' });
  });
  after(async () => {
    await browser?.close();
    await demos?.stop();
  });

  async function editor(name: string, transport: string) {
    const opened = await openPage(browser, `${demos.url}/demos/collab/?transport=${transport}&name=${name}`);
    await eventually(
      `${name}'s editor`,
      async () => ((await opened.page.getAttribute('body', 'data-ready')) === 'true' ? true : undefined),
      { timeoutMs: 15_000 },
    );
    return opened;
  }
  const textOf = (page: Page) => page.inputValue('#editor');
  async function converged(pages: Page[], mustHave: string[]): Promise<string> {
    return eventually(
      'the same text everywhere',
      async () => {
        const texts = await Promise.all(pages.map(textOf));
        const same = texts.every((t) => t === texts[0]);
        return same && mustHave.every((m) => texts[0]!.includes(m)) ? texts[0] : undefined;
      },
      { timeoutMs: 20_000, lastSeen: () => Promise.all(pages.map(textOf)) },
    );
  }

  it('converges after concurrent edits and after one side was offline; a late joiner catches up', async () => {
    const ada = await editor('Ada', 'websocket');
    const lin = await editor('Lin', 'sse');

    await ada.page.type('#editor', '[middle]');
    await converged([ada.page, lin.page], ['[middle]']);
    // Both type at the same time, Ada at the start, Lin at the end.
    await ada.page.press('#editor', 'Control+Home');
    await lin.page.focus('#editor');
    await lin.page.press('#editor', 'Control+End');
    await Promise.all([
      ada.page.type('#editor', 'alpha beta gamma. ', { delay: 15 }),
      lin.page.type('#editor', ' one two three.', { delay: 15 }),
    ]);
    await converged([ada.page, lin.page], ['alpha beta gamma. [middle] one two three.']);

    // Each sees the other's cursor.
    for (const [page, other] of [
      [ada.page, 'Lin'],
      [lin.page, 'Ada'],
    ] as const) {
      await eventually(`${other}'s cursor`, async () =>
        (await page.$(`#mirror .caret[data-name="${other}"]`)) !== null ? true : undefined,
      );
    }

    // Lin goes offline and edits; Ada edits meanwhile; Lin comes back.
    await lin.page.click('#offline');
    await eventually('Lin offline', async () =>
      (await lin.page.getAttribute('.kit-status', 'data-state')) === 'disconnected' ? true : undefined,
    );
    await lin.page.press('#editor', 'Control+End');
    await lin.page.type('#editor', 'written offline. ');
    await ada.page.press('#editor', 'Control+Home');
    await ada.page.type('#editor', 'written online. ');
    // Nothing of Lin's offline edit can reach Ada yet.
    assert.ok(!(await textOf(ada.page)).includes('written offline'));
    await lin.page.click('#offline');
    let text = await converged(
      [ada.page, lin.page],
      ['written offline. ', 'written online. ', 'alpha beta gamma. '],
    );

    // The updates travel as bytes: the channel's history holds publications of bytes only.
    const history = await fetch(`${demos.hub.url}/api/history`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demos.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'collab:doc1', limit: 1000 }),
    }).then((r) => r.json() as Promise<{ publications: Record<string, unknown>[] }>);
    assert.ok(history.publications.length > 0);
    assert.ok(history.publications.every((p) => typeof p.data_b64 === 'string' && !('data' in p)));

    // Binary updates survive a resume: Lin's connection is cut at the hub while Ada types.
    const resumed = cutAndResume(lin.page);
    await ada.page.press('#editor', 'Control+End');
    await ada.page.type('#editor', 'across the cut.');
    assert.equal((await resumed).recovered, true);
    text = await converged([ada.page, lin.page], ['across the cut.']);

    // A late joiner: the backend's snapshot plus history.
    const hua = await editor('Hua', 'websocket');
    assert.equal(await converged([ada.page, lin.page, hua.page], [text]), text);

    for (const p of [ada, lin, hua]) assert.deepEqual(p.problems, []);
  });
});
