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
    name: 'danmaku',
    title: { en: 'Bullet comments', zh: '弹幕' },
    blurb: {
      en: 'Comments fly across a playing video; viewers post them with a per-viewer rate limit, and a 2,000/s storm leaves the page smooth (drop-oldest and a delivery cap).',
      zh: '弹幕飞过播放中的视频；观众发弹幕受每人速率限制，每秒 2000 条的风暴下页面依然流畅（drop-oldest 与投递上限）。',
    },
    backend: true,
  },
  {
    name: 'chat',
    title: { en: 'Chat', zh: '聊天' },
    blurb: {
      en: 'Rooms with presence and join/leave, history on join, typing indicators, direct messages on user channels, sends that a flaky network never doubles.',
      zh: '带在线列表与进出提示的房间、进入时的历史消息、输入提示、用户频道上的私信，以及在不稳定网络下也不会重复的发送。',
    },
    backend: true,
  },
  {
    name: 'sports',
    title: { en: 'Live sports', zh: '体育直播' },
    blurb: {
      en: 'A scoreboard and play-by-play over a plain EventSource (no SDK); the score arrives on subscribe.',
      zh: '比分牌与文字直播，直接用浏览器的 EventSource（不用 SDK）；订阅时即收到当前比分。',
    },
    backend: true,
  },
  {
    name: 'quotes',
    title: { en: 'Quotes', zh: '行情' },
    blurb: {
      en: '500 symbols ticking at 5,000 updates/s, each with a sparkline: keyed conflation and a per-subscriber rate cap, with the counts to see it.',
      zh: '500 只股票每秒共 5000 次报价，各带走势线：按键合并与每订阅者限速，计数器让合并一目了然。',
    },
    backend: true,
  },
  {
    name: 'collab',
    title: { en: 'Collaborative editing', zh: '协同编辑' },
    blurb: {
      en: 'One document shared with Yjs over a channel, with everyone’s cursors; late joiners load a snapshot plus history; offline edits merge on reconnect.',
      zh: '用 Yjs 通过一个频道共享同一文档，并显示每个人的光标；后加入者载入快照加历史；离线编辑在重连后合并。',
    },
    backend: true,
  },
  {
    name: 'location',
    title: { en: 'Location', zh: '位置追踪' },
    blurb: {
      en: 'Vehicles moving on a map drawn in the page: conflation by vehicle, so a client that stalls sees where they are now.',
      zh: '车辆在页面绘制的地图上移动：按车辆合并，卡顿的客户端看到的是车辆现在的位置。',
    },
    backend: true,
  },
  {
    name: 'notify',
    title: { en: 'Notifications and a live dashboard', zh: '通知与实时仪表盘' },
    blurb: {
      en: 'Per-user notification channels with an unread badge and toasts; the hub’s own figures charted live (connections by transport, channels, deliveries/s).',
      zh: '每个用户自己的通知频道，带未读角标与弹出提示；实时图表展示 Hub 自身的指标（各传输方式的连接数、频道数、每秒投递数）。',
    },
    backend: true,
  },
];
