// The chat demo in Chromium, two people in two browser contexts (one over WebSocket, one over SSE) on a real hub:
// a message and a presence change appear on the other side, typing shows and is not kept in history, a late
// joiner gets history, direct messages reach only their two people, a retried send is never doubled, and a
// picture (bytes) reaches the other side across a cut connection and a late joiner through history.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningDemos } from '../../demos/launcher.ts';
import { eventually, launchBrowser, openPage } from '../helpers/browser.ts';
import { cutAndResume, startTestDemos } from '../helpers/demos.ts';

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

describe('demo: chat', () => {
  let browser: Browser;
  let demos: RunningDemos;

  before(async () => {
    browser = await launchBrowser();
    demos = await startTestDemos(['chat']);
  });
  after(async () => {
    await browser?.close();
    await demos?.stop();
  });

  async function person(name: string, transport: 'websocket' | 'sse') {
    const opened = await openPage(browser, `${demos.url}/demos/chat/?transport=${transport}`);
    await opened.page.fill('#name', name);
    await opened.page.click('#login button');
    await eventually(
      `${name} in the room`,
      async () => ((await opened.page.getAttribute('body', 'data-ready')) === 'true' ? true : undefined),
      { timeoutMs: 15_000 },
    );
    return opened;
  }
  const peopleOf = (page: Page) =>
    page.$$eval('#people li', (lis) => lis.map((li) => (li as HTMLElement).dataset.user));
  const texts = (page: Page, list: string) =>
    page.$$eval(`${list} li`, (lis) => lis.map((li) => (li as HTMLElement).dataset.text));

  it('messages, presence, typing, history, direct messages and retried sends', async () => {
    const alice = await person('alice', 'websocket');
    const bob = await person('bob', 'sse');

    // Presence: each sees the other.
    await eventually(
      'alice sees bob',
      async () => ((await peopleOf(alice.page)).includes('bob') ? true : undefined),
      {
        timeoutMs: 10_000,
        lastSeen: () => peopleOf(alice.page),
      },
    );
    await eventually(
      'bob sees alice',
      async () => ((await peopleOf(bob.page)).includes('alice') ? true : undefined),
      {
        timeoutMs: 10_000,
        lastSeen: () => peopleOf(bob.page),
      },
    );

    // A message from one side appears on the other.
    await alice.page.fill('#text', 'hello bob');
    await alice.page.press('#text', 'Enter');
    await eventually('bob gets the message', async () =>
      (await texts(bob.page, '#messages')).includes('hello bob') ? true : undefined,
    );

    // Typing shows on the other side, and the typing namespace keeps no history.
    await bob.page.type('#text', 'typing something');
    await eventually('alice sees bob typing', async () =>
      (await alice.page.getAttribute('#typing', 'data-who')) === 'bob' ? true : undefined,
    );
    const typingHistory = await fetch(`${demos.url}/api/history`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demos.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'typing:lobby' }),
    });
    assert.deepEqual(((await typingHistory.json()) as { publications: unknown[] }).publications, []);

    // A flaky network: the first answer is lost and the send retried with the same idempotency key.
    await alice.page.check('#flaky');
    await alice.page.fill('#text', 'exactly once');
    await alice.page.press('#text', 'Enter');
    await eventually('bob gets the retried message', async () =>
      (await texts(bob.page, '#messages')).includes('exactly once') ? true : undefined,
    );
    await eventually('alice saw the retry', async () =>
      (await alice.page.textContent('#stats'))?.includes('retries 1') ? true : undefined,
    );
    // Past the retry's answer, one more message: anything doubled would have arrived before it.
    await alice.page.uncheck('#flaky');
    await alice.page.fill('#text', 'after the retry');
    await alice.page.press('#text', 'Enter');
    await eventually('bob gets the next one', async () =>
      (await texts(bob.page, '#messages')).includes('after the retry') ? true : undefined,
    );
    for (const page of [alice.page, bob.page]) {
      const all = await texts(page, '#messages');
      assert.equal(
        all.filter((t) => t === 'exactly once').length,
        1,
        `doubled on one side: ${all.join(' | ')}`,
      );
    }

    // A cut over SSE resumes with nothing missing, a picture sent meanwhile included: it travels as bytes.
    const resuming = cutAndResume(bob.page);
    await alice.page.setInputFiles('#picture', { name: 'dot.png', mimeType: 'image/png', buffer: PNG });
    const resume = await resuming;
    assert.equal(resume.recovered, true);
    assert.equal(resume.missing, 0);
    for (const [who, page] of [
      ['bob', bob.page],
      ['alice', alice.page],
    ] as const)
      await eventually(`${who} sees the picture`, async () =>
        (await page.$$eval('#messages li[data-image] img', (imgs) =>
          imgs.some((i) => (i as HTMLImageElement).naturalWidth === 1),
        ))
          ? true
          : undefined,
      );
    assert.equal(await bob.page.getAttribute('#messages li[data-image]', 'data-image'), String(PNG.length));
    // Past the namespace's size the page refuses it before sending.
    await alice.page.setInputFiles('#picture', {
      name: 'big.png',
      mimeType: 'image/png',
      buffer: Buffer.alloc(64 * 1024),
    });
    await eventually('the refusal', async () =>
      (await alice.page.textContent('#stats'))?.includes('big.png') ? true : undefined,
    );

    // A late joiner gets the room's history.
    const carol = await person('carol', 'websocket');
    await eventually('carol gets history', async () =>
      (await texts(carol.page, '#messages')).includes('hello bob') ? true : undefined,
    );
    await eventually('carol gets the picture from history', async () =>
      (await carol.page.$('#messages li[data-image] img')) !== null ? true : undefined,
    );

    // A direct message reaches its two people, not a third.
    await alice.page.fill('#dm-to', 'bob');
    await alice.page.fill('#dm-text', 'just for bob');
    await alice.page.press('#dm-text', 'Enter');
    await eventually('bob gets the direct message', async () =>
      (await texts(bob.page, '#dm-list')).includes('just for bob') ? true : undefined,
    );
    await eventually('alice sees what she sent', async () =>
      (await texts(alice.page, '#dm-list')).includes('just for bob') ? true : undefined,
    );
    // Carol's inbox is her own user channel; she cannot subscribe to bob's at all.
    assert.deepEqual(await texts(carol.page, '#dm-list'), []);
    const login = await fetch(`${demos.url}/demos/chat/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'carol' }),
    });
    const { token } = (await login.json()) as { token: string };
    const refused = await fetch(`${demos.url}/sse?channel=dm:inbox%23bob`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(refused.status, 403);
    await refused.body?.cancel();

    // Leaving: bob closes his page, alice's presence list loses him.
    await bob.page.context().close();
    await eventually(
      'bob gone from alice’s list',
      async () => ((await peopleOf(alice.page)).includes('bob') ? undefined : true),
      { timeoutMs: 10_000, lastSeen: () => peopleOf(alice.page) },
    );

    for (const p of [alice, carol]) assert.deepEqual(p.problems, []);
    await alice.page.context().close();
    await carol.page.context().close();
  });
});
