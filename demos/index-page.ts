import type { DemoEntry } from './catalog.ts';

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The index at /demos/: every demo, in both languages (the kit's toggle shows one). */
export function indexPage(demos: readonly DemoEntry[]): string {
  const items = demos
    .map(
      (d) => `<li class="demo-card"><a href="/demos/${d.name}/" data-demo="${d.name}">
  <strong><span lang="en">${escapeHtml(d.title.en)}</span><span lang="zh">${escapeHtml(d.title.zh)}</span></strong>
  <span lang="en">${escapeHtml(d.blurb.en)}</span><span lang="zh">${escapeHtml(d.blurb.zh)}</span></a></li>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard demos</title>
<link rel="stylesheet" href="/demos/assets/kit.css">
<body class="index">
<header class="kit-bar">
  <h1><span lang="en">Switchboard demos</span><span lang="zh">Switchboard 演示</span></h1>
  <span class="kit-spacer"></span>
  <span class="kit-toggle" role="group" aria-label="language">
    <button type="button" data-lang="en">English</button><button type="button" data-lang="zh">中文</button>
  </span>
</header>
<main>
<p><span lang="en">Each page works over WebSocket and over SSE (the toggle at the top), can have its connection cut at the hub to show the resume, and speaks English and Chinese.</span><span lang="zh">每个页面都可在 WebSocket 与 SSE 之间切换（顶部开关），可在服务器端切断连接以展示断点续传，并支持中英文。</span></p>
<ul class="demo-list">
${items}
<li class="demo-card"><a href="/lab" data-demo="lab">
  <strong><span lang="en">The lab: WebSocket vs SSE</span><span lang="zh">实验室：WebSocket 与 SSE</span></strong>
  <span lang="en">Both transports measured side by side in your browser: set-up, one-way latency, bytes per message, messages going up, resume after a cut, the per-origin connection limit, binary payloads.</span><span lang="zh">在你的浏览器里并排实测两种传输：建立连接、单向延迟、每条消息字节数、上行消息、切断后的恢复、同源连接数限制、二进制负载。</span></a></li>
</ul>
<p><a href="/"><span lang="en">The hub's inspector</span><span lang="zh">Hub 检查器</span></a></p>
</main>
<script type="module" src="/demos/assets/lang.js"></script>
</body>
</html>
`;
}
