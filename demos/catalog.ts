// The demos `npm run demos` serves, in the order of the index page. Each has a folder demos/<name>/ with
// index.html and page.ts (bundled for the browser at start-up) and, when `backend` is true, backend.ts: its own
// process, playing the app's server.

export interface Text {
  readonly en: string;
  readonly zh: string;
}

export interface DemoEntry {
  readonly name: string;
  readonly title: Text;
  readonly blurb: Text;
  readonly backend: boolean;
}

export const DEMOS: readonly DemoEntry[] = [
  {
    name: 'sports',
    title: { en: 'Live sports', zh: '体育直播' },
    blurb: {
      en: 'A scoreboard and play-by-play over a plain EventSource (no SDK); the score arrives on subscribe.',
      zh: '比分牌与文字直播，直接用浏览器的 EventSource（不用 SDK）；订阅时即收到当前比分。',
    },
    backend: true,
  },
];
