// What every demo page shares: the bar at the top with the WebSocket / SSE toggle, the "cut" control, the
// connection's state and the last resume, and the English / 中文 toggle; the SDK client on the chosen transport.
import { Client, type Message, type Subscription } from '@switchboard/client';
import { type Lang, lang, onLang, setupLang } from './lang.ts';

export type Strings = Readonly<Record<string, { readonly en: string; readonly zh: string }>>;
export type Transport = 'websocket' | 'sse';

const KIT_STRINGS: Strings = {
  websocket: { en: 'WebSocket', zh: 'WebSocket' },
  sse: { en: 'SSE', zh: 'SSE' },
  cut: { en: 'Cut the connection', zh: '切断连接' },
  demos: { en: '← all demos', zh: '← 全部演示' },
  connecting: { en: 'connecting', zh: '连接中' },
  connected: { en: 'connected', zh: '已连接' },
  disconnected: { en: 'disconnected', zh: '已断开' },
  status: { en: '{state} over {transport}', zh: '{state}（{transport}）' },
  cutSent: { en: 'Cut at the hub: reconnecting…', zh: '已在服务器端切断：正在重连…' },
  cutFailed: { en: 'The cut failed: {why}', zh: '切断失败：{why}' },
  resumed: {
    en: 'Resumed {ms} ms after the cut: {refilled} missed messages refilled, {missing} missing.',
    zh: '切断后 {ms} 毫秒恢复：补回 {refilled} 条错过的消息，缺失 {missing} 条。',
  },
  notRecovered: {
    en: 'Reconnected {ms} ms after the cut; history could not fill the gap: state reloaded.',
    zh: '切断后 {ms} 毫秒重连；历史无法补齐缺口：已重新加载状态。',
  },
};

export interface KitOptions {
  /** The page's own strings, by key, in both languages. */
  readonly strings?: Strings;
  /** A connection token from the demo's backend (called again when it expires). */
  readonly token?: () => Promise<string>;
  /** false: the page opens its own connections (the sports page's plain EventSource); no SDK client is made. */
  readonly sdk?: boolean;
  /** false: the page calls `kit.client.connect()` itself (after signing in, say). Default true. */
  readonly autoConnect?: boolean;
}

/** The outcome of the last cut, as shown in the bar (and read by the tests through `data-*`). */
export interface ResumeReport {
  readonly ms: number;
  readonly refilled: number;
  readonly missing: number;
  readonly recovered: boolean;
}

export class Kit {
  readonly transport: Transport;
  readonly #strings: Strings;
  readonly #client: Client | undefined;
  readonly #status: HTMLElement;
  readonly #note: HTMLElement;
  #clientId: string | undefined;
  #cutAt: number | undefined;
  #refilled = 0;
  #state = 'connecting';
  #noteKey: { key: string; vars: Record<string, string | number> } | undefined;
  readonly #redraw = new Set<() => void>();

  constructor(options: KitOptions = {}) {
    this.#strings = { ...KIT_STRINGS, ...options.strings };
    const asked = new URLSearchParams(location.search).get('transport');
    this.transport = asked === 'sse' ? 'sse' : 'websocket';
    const bar = document.querySelector<HTMLElement>('header.kit-bar');
    if (bar === null) throw new Error('the page has no <header class="kit-bar">');
    bar.insertAdjacentHTML(
      'beforeend',
      `<span class="kit-spacer"></span>
<span class="kit-toggle" role="group" aria-label="transport">
  <button type="button" data-transport="websocket">WebSocket</button><button type="button" data-transport="sse">SSE</button>
</span>
<button type="button" class="kit-cut" data-i18n="cut"></button>
<output class="kit-status" aria-live="polite"></output>
<span class="kit-toggle" role="group" aria-label="language">
  <button type="button" data-lang="en">English</button><button type="button" data-lang="zh">中文</button>
</span>
<a class="kit-home" href="/demos/" data-i18n="demos"></a>`,
    );
    bar.insertAdjacentHTML('afterend', '<output class="kit-note" aria-live="polite"></output>');
    this.#status = bar.querySelector('.kit-status')!;
    this.#note = document.querySelector('.kit-note')!;
    for (const b of bar.querySelectorAll<HTMLButtonElement>('button[data-transport]')) {
      b.setAttribute('aria-pressed', String(b.dataset.transport === this.transport));
      b.addEventListener('click', () =>
        this.#switchTransport(b.dataset.transport === 'sse' ? 'sse' : 'websocket'),
      );
    }
    bar.querySelector<HTMLButtonElement>('.kit-cut')!.addEventListener('click', () => void this.cut());
    onLang(() => this.#translate());
    setupLang();

    if (options.sdk !== false) {
      this.#client = new Client(location.origin, {
        transport: this.transport,
        // A demo shows the resume: reconnect quickly after a cut rather than after the default backoff.
        backoff: { minDelayMs: 100, maxDelayMs: 2_000 },
        autoConnect: options.autoConnect !== false,
        ...(options.token === undefined ? {} : { token: options.token }),
      });
      this.#client.on('state', ({ to }) => this.setState(to));
      this.#client.on('connected', ({ client, transport }) => this.setConnection(client, transport));
    }
    this.#showStatus();
  }

  /** The SDK client on the chosen transport (pages made with `sdk: false` have none). */
  get client(): Client {
    if (this.#client === undefined) throw new Error('this page was made without the SDK');
    return this.#client;
  }

  get lang(): Lang {
    return lang();
  }

  /** A string in the current language, with `{name}` placeholders filled. */
  t(key: string, vars: Record<string, string | number> = {}): string {
    const entry = this.#strings[key];
    if (entry === undefined) return key;
    return entry[lang()].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
  }

  /** Runs `draw` now and again whenever the language changes. */
  i18n(draw: () => void): void {
    this.#redraw.add(draw);
    draw();
  }

  /** For pages with their own connections: the hub's client id and transport of the current connection. */
  setConnection(client: string, transport: string): void {
    this.#clientId = client;
    this.#status.dataset.client = client;
    this.#status.dataset.transport = transport;
    this.setState('connected');
  }

  setState(state: string): void {
    this.#state = state;
    this.#status.dataset.state = state;
    this.#showStatus();
  }

  /**
   * Follows a subscription for the bar: after a cut, how long the resume took and how many missed messages the
   * hub refilled. With `contiguous` (a channel whose policy is `all`), a jump in offsets counts as missing.
   */
  track<T>(sub: Subscription<T>, options: { contiguous?: boolean } = {}): void {
    let last: number | undefined;
    let refillUpTo: number | undefined;
    let missing = 0;
    sub.on('subscribed', (e) => {
      if (e.since === undefined || this.#cutAt === undefined) return;
      if (e.recovered === false) {
        this.resumed({ refilled: 0, missing: 0, recovered: false });
        return;
      }
      refillUpTo = e.offset;
      this.#refilled = 0;
      if (e.offset <= e.since.offset) this.resumed({ refilled: 0, missing, recovered: true });
    });
    sub.on('message', (m: Message<T>) => {
      if (options.contiguous === true && last !== undefined && m.offset > last + 1)
        missing += m.offset - last - 1;
      last = m.offset;
      if (refillUpTo !== undefined) {
        this.#refilled += 1;
        if (m.offset >= refillUpTo) {
          refillUpTo = undefined;
          this.resumed({ refilled: this.#refilled, missing, recovered: true });
        }
      }
    });
  }

  /** Shows the outcome of a resume (pages with their own connections call it themselves). */
  resumed(report: Omit<ResumeReport, 'ms'>): void {
    if (this.#cutAt === undefined) return;
    const full: ResumeReport = { ...report, ms: Math.round(performance.now() - this.#cutAt) };
    this.#cutAt = undefined;
    this.#note.dataset.resume = JSON.stringify(full);
    this.#note.dataset.resumes = String(Number(this.#note.dataset.resumes ?? '0') + 1);
    this.#setNote(full.recovered ? 'resumed' : 'notRecovered', {
      ms: full.ms,
      refilled: full.refilled,
      missing: full.missing,
    });
  }

  /** The "cut" control: asks the hub (through the launcher) to drop this page's connection, reconnect allowed. */
  async cut(): Promise<void> {
    if (this.#clientId === undefined) return;
    this.#cutAt = performance.now();
    this.#setNote('cutSent', {});
    const answer = await fetch('/demos/cut', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client: this.#clientId }),
    });
    if (!answer.ok) {
      this.#cutAt = undefined;
      this.#setNote('cutFailed', { why: String(answer.status) });
    }
  }

  #switchTransport(next: Transport): void {
    if (next === this.transport) return;
    const url = new URL(location.href);
    url.searchParams.set('transport', next);
    location.assign(url);
  }

  #setNote(key: string, vars: Record<string, string | number>): void {
    this.#noteKey = { key, vars };
    this.#note.textContent = this.t(key, vars);
  }

  #showStatus(): void {
    this.#status.textContent = this.t('status', {
      state: this.t(this.#state),
      transport: this.t(this.#status.dataset.transport ?? this.transport),
    });
  }

  #translate(): void {
    for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]'))
      el.textContent = this.t(el.dataset.i18n!);
    this.#showStatus();
    if (this.#noteKey !== undefined) this.#note.textContent = this.t(this.#noteKey.key, this.#noteKey.vars);
    for (const draw of this.#redraw) draw();
  }
}
