// The lab at /lab: runs every measurement in turn, then shows them as tables and charts and as JSON.
import { lang, onLang, setupLang } from '../kit/lang.ts';
import { type BarGroup, bars, histogram } from './charts.ts';
import { connectionLimit, type LimitResult, type SharedResult, sharedTabs } from './limit.ts';
import {
  type BinaryRow,
  binary,
  type CutResult,
  clockOffset,
  cut as cutAndResume,
  type Down,
  down,
  type SetupResult,
  type Summary,
  setup,
  type Transport,
  up,
} from './measure.ts';

type Strings = Record<string, { en: string; zh: string }>;

const S: Strings = {
  clock: { en: 'Clock offset', zh: '时钟偏差' },
  setup: { en: 'Connection set-up', zh: '建立连接' },
  down: { en: 'One-way latency and bytes', zh: '单向延迟与字节数' },
  up: { en: 'Messages going up', zh: '上行消息' },
  cutws: { en: 'Cut and resume (WebSocket)', zh: '切断与恢复（WebSocket）' },
  cutsse: { en: 'Cut and resume (SSE)', zh: '切断与恢复（SSE）' },
  limit: { en: 'Connection limit', zh: '连接数限制' },
  shared: { en: 'Shared-tab connection', zh: '多标签页共享连接' },
  binary: { en: 'Binary (computed)', zh: '二进制（计算）' },
  clockRow: {
    en: 'Hub clock − page clock (ms), ± half the best of {samples} round trips',
    zh: 'Hub 时钟 − 页面时钟（毫秒），误差为 {samples} 次往返中最快一次的一半',
  },
  connectedMs: {
    en: 'Set-up: connect → connected, median (ms)',
    zh: '建立：connect → connected，中位数（毫秒）',
  },
  subscribedMs: {
    en: 'Set-up: connect → first subscription live, median (ms)',
    zh: '建立：connect → 首个订阅生效，中位数（毫秒）',
  },
  latency50: { en: 'One-way latency, median (ms)', zh: '单向延迟，中位数（毫秒）' },
  latency90: { en: 'One-way latency, p90 (ms)', zh: '单向延迟，p90（毫秒）' },
  latency99: { en: 'One-way latency, p99 (ms)', zh: '单向延迟，p99（毫秒）' },
  latencyMax: { en: 'One-way latency, max (ms)', zh: '单向延迟，最大（毫秒）' },
  received: { en: 'Messages received / published', zh: '收到 / 发布的消息' },
  bytes: { en: 'Bytes on the wire per message (hub counter)', zh: '每条消息的线路字节数（Hub 计数器）' },
  overhead: {
    en: 'Framing overhead per message (bytes beyond the {payload}-byte JSON data)',
    zh: '每条消息的封装开销（超出 {payload} 字节 JSON 数据的部分）',
  },
  up50: {
    en: 'Up: publish round trip, median (ms) — WS frame / SSE command POST',
    zh: '上行：发布往返，中位数（毫秒）— WS 帧 / SSE 命令 POST',
  },
  up90: { en: 'Up: publish round trip, p90 (ms)', zh: '上行：发布往返，p90（毫秒）' },
  reconnect: { en: 'After a cut at the hub: reconnected in (ms)', zh: '服务器端切断后：重连耗时（毫秒）' },
  resumed: { en: 'After a cut: subscription resumed in (ms)', zh: '切断后：订阅恢复耗时（毫秒）' },
  missed: { en: 'After a cut: messages missed (must be 0)', zh: '切断后：丢失的消息（必须为 0）' },
  duplicates: { en: 'After a cut: messages received twice', zh: '切断后：重复收到的消息' },
  seventh: { en: '7th plain SSE stream on HTTP/1.1', zh: 'HTTP/1.1 上的第 7 个原生 SSE 流' },
  blocked: {
    en: 'blocked: {opened} of {streams} open; it opened {ms} ms after one of the others closed',
    zh: '被阻塞：{streams} 个中仅 {opened} 个打开；其他某个关闭后 {ms} 毫秒才打开',
  },
  notBlocked: {
    en: 'not blocked: {opened} of {streams} open (a browser without the limit, or HTTP/2)',
    zh: '未被阻塞：{streams} 个全部打开（{opened}）（无此限制的浏览器，或 HTTP/2）',
  },
  sharedRow: {
    en: '{tabs} tabs with the SDK’s shared connection (SSE)',
    zh: '{tabs} 个标签页使用 SDK 的共享连接（SSE）',
  },
  sharedVal: {
    en: '{received} of {tabs} received the message over {conns} SSE connection(s)',
    zh: '{tabs} 个中 {received} 个收到消息，共用 {conns} 个 SSE 连接',
  },
  payload: { en: 'Payload (bytes)', zh: '负载（字节）' },
  wsFrame: { en: 'WebSocket binary frame', zh: 'WebSocket 二进制帧' },
  sseEvent: { en: 'SSE event, base64', zh: 'SSE 事件（base64）' },
  copied: { en: 'Copied.', zh: '已复制。' },
  copyFailed: {
    en: 'The clipboard refused; the JSON is in the console.',
    zh: '剪贴板不可用；JSON 已输出到控制台。',
  },
  chartSetup: { en: 'set-up (connected)', zh: '建立连接' },
  chartUp: { en: 'publish round trip', zh: '发布往返' },
  chartResume: { en: 'resume after a cut', zh: '切断后恢复' },
  chartBytes: { en: 'bytes per message', zh: '每条消息字节数' },
  failed: { en: '{step} failed: {why}', zh: '{step} 失败：{why}' },
};

const t = (key: string, vars: Record<string, string | number> = {}): string =>
  (S[key]?.[lang()] ?? key).replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));

export interface LabResults {
  readonly lab: 'switchboard: WebSocket vs SSE';
  readonly date: string;
  readonly userAgent: string;
  readonly protocol: string;
  clock?: { offsetMs: number; rttMs: number };
  setup?: Record<Transport, SetupResult>;
  down?: Down;
  up?: Record<Transport, Summary>;
  cut?: Partial<Record<Transport, CutResult>>;
  limit?: LimitResult;
  shared?: SharedResult;
  binary?: { computed: true; rows: BinaryRow[] };
  errors: string[];
}

const CLOCK_SAMPLES = 20;
const $ = (id: string) => document.getElementById(id)!;
const body = document.body;
let results: LabResults | undefined;

const STEPS = ['clock', 'setup', 'down', 'up', 'cutws', 'cutsse', 'limit', 'shared', 'binary'] as const;
type Step = (typeof STEPS)[number];
const stepState = new Map<Step, string>();

function drawSteps(): void {
  $('steps').innerHTML = STEPS.map(
    (s) => `<li data-step="${s}" data-state="${stepState.get(s) ?? 'waiting'}">${t(s)}</li>`,
  ).join('');
}

const cell = (v: number | string | undefined, cls = ''): string =>
  `<td class="n ${cls}">${v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '–' : v}</td>`;

function row(
  label: string,
  ws: number | string | undefined,
  sse: number | string | undefined,
  cls = '',
): string {
  return `<tr><th>${label}</th>${cell(ws, cls)}${cell(sse, cls)}</tr>`;
}

function drawTables(r: LabResults): void {
  const rows: string[] = [];
  if (r.clock) {
    const c = `${r.clock.offsetMs} ± ${Math.round(r.clock.rttMs * 50) / 100}`;
    rows.push(
      `<tr><th>${t('clockRow', { samples: CLOCK_SAMPLES })}</th><td class="n" colspan="2">${c}</td></tr>`,
    );
  }
  if (r.setup) {
    rows.push(row(t('connectedMs'), r.setup.websocket.connected.p50, r.setup.sse.connected.p50));
    rows.push(row(t('subscribedMs'), r.setup.websocket.subscribed.p50, r.setup.sse.subscribed.p50));
  }
  if (r.down) {
    const d = r.down;
    rows.push(row(t('latency50'), d.websocket.latency.p50, d.sse.latency.p50));
    rows.push(row(t('latency90'), d.websocket.latency.p90, d.sse.latency.p90));
    rows.push(row(t('latency99'), d.websocket.latency.p99, d.sse.latency.p99));
    rows.push(row(t('latencyMax'), d.websocket.latency.max, d.sse.latency.max));
    rows.push(
      row(t('received'), `${d.websocket.received} / ${d.published}`, `${d.sse.received} / ${d.published}`),
    );
    rows.push(row(t('bytes'), d.websocket.bytesPerMessage, d.sse.bytesPerMessage));
    const over = (b: number) => Math.round((b - d.payloadBytes) * 10) / 10;
    rows.push(
      row(
        t('overhead', { payload: d.payloadBytes }),
        over(d.websocket.bytesPerMessage),
        over(d.sse.bytesPerMessage),
      ),
    );
  }
  if (r.up) {
    rows.push(row(t('up50'), r.up.websocket.p50, r.up.sse.p50));
    rows.push(row(t('up90'), r.up.websocket.p90, r.up.sse.p90));
  }
  if (r.cut) {
    const c = r.cut;
    rows.push(row(t('reconnect'), c.websocket?.reconnectMs, c.sse?.reconnectMs));
    rows.push(row(t('resumed'), c.websocket?.resumedMs, c.sse?.resumedMs));
    const missedCls = (x?: CutResult) => (x === undefined ? '' : x.missed === 0 ? 'good' : 'bad');
    rows.push(
      `<tr><th>${t('missed')}</th>${cell(c.websocket?.missed, missedCls(c.websocket))}${cell(c.sse?.missed, missedCls(c.sse))}</tr>`,
    );
    rows.push(row(t('duplicates'), c.websocket?.duplicates, c.sse?.duplicates));
  }
  $('results').querySelector('tbody')!.innerHTML = rows.join('');

  const limits: string[] = [];
  if (r.limit) {
    const l = r.limit;
    const v = t(l.seventhBlocked ? 'blocked' : 'notBlocked', {
      opened: l.opened,
      streams: l.streams,
      ms: l.seventhOpenedAfterCloseMs,
    });
    limits.push(
      `<tr><th>${t('seventh')}</th><td class="${l.seventhBlocked ? 'bad' : 'good'}" data-blocked="${l.seventhBlocked}">${v}</td></tr>`,
    );
  }
  if (r.shared) {
    const s = r.shared;
    limits.push(
      `<tr><th>${t('sharedRow', { tabs: s.tabs })}</th><td class="${s.received === s.tabs ? 'good' : 'bad'}">${t('sharedVal', { received: s.received, tabs: s.tabs, conns: s.sseConnections })}</td></tr>`,
    );
  }
  $('limits').querySelector('tbody')!.innerHTML = limits.join('');

  $('binary').querySelector('tbody')!.innerHTML = (r.binary?.rows ?? [])
    .map(
      (b) => `<tr>${cell(b.payload)}${cell(b.wsFrame)}${cell(b.sseBase64Event)}${cell(`× ${b.ratio}`)}</tr>`,
    )
    .join('');
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]'))
    el.textContent = t(el.dataset.i18n!);
}

function drawCharts(r: LabResults): void {
  const names = { websocket: 'WebSocket', sse: 'SSE' };
  if (r.down)
    $('chart-latency').innerHTML = histogram(
      { websocket: r.down.websocket.samples, sse: r.down.sse.samples },
      'ms',
    );
  const groups: BarGroup[] = [];
  if (r.setup)
    groups.push({
      label: t('chartSetup'),
      values: { websocket: r.setup.websocket.connected.p50, sse: r.setup.sse.connected.p50 },
    });
  if (r.up)
    groups.push({ label: t('chartUp'), values: { websocket: r.up.websocket.p50, sse: r.up.sse.p50 } });
  if (r.cut?.websocket && r.cut.sse)
    groups.push({
      label: t('chartResume'),
      values: { websocket: r.cut.websocket.resumedMs, sse: r.cut.sse.resumedMs },
    });
  $('chart-times').innerHTML = groups.length > 0 ? bars(groups, names) : '';
  if (r.down)
    $('chart-bytes').innerHTML = bars(
      [
        {
          label: t('chartBytes'),
          values: { websocket: r.down.websocket.bytesPerMessage, sse: r.down.sse.bytesPerMessage },
        },
      ],
      names,
    );
}

function draw(): void {
  drawSteps();
  if (results === undefined) return;
  drawTables(results);
  drawCharts(results);
  $('errors').textContent = results.errors.join(' · ');
}

async function step<T>(
  name: Step,
  r: LabResults,
  run: () => Promise<T> | T,
  keep: (v: T) => void,
): Promise<void> {
  stepState.set(name, 'running');
  drawSteps();
  try {
    keep(await run());
    stepState.set(name, 'done');
  } catch (err) {
    stepState.set(name, 'failed');
    r.errors.push(t('failed', { step: t(name), why: err instanceof Error ? err.message : String(err) }));
  }
  draw();
}

async function runLab(): Promise<void> {
  const runButton = $('run') as HTMLButtonElement;
  runButton.disabled = true;
  ($('copy') as HTMLButtonElement).disabled = true;
  body.dataset.state = 'running';
  stepState.clear();
  const run = Math.random().toString(36).slice(2, 10);
  const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
  const r: LabResults = {
    lab: 'switchboard: WebSocket vs SSE',
    date: new Date().toISOString(),
    userAgent: navigator.userAgent,
    protocol: nav?.nextHopProtocol ?? 'unknown',
    errors: [],
  };
  results = r;
  draw();
  await step(
    'clock',
    r,
    () => clockOffset(),
    (v) => (r.clock = v),
  );
  const offset = r.clock?.offsetMs ?? 0;
  await step(
    'setup',
    r,
    () => setup(run),
    (v) => (r.setup = v),
  );
  await step(
    'down',
    r,
    () => down(run, offset),
    (v) => (r.down = v),
  );
  await step(
    'up',
    r,
    () => up(run),
    (v) => (r.up = v),
  );
  r.cut = {};
  await step(
    'cutws',
    r,
    () => cutAndResume(run, 'websocket'),
    (v) => (r.cut!.websocket = v),
  );
  await step(
    'cutsse',
    r,
    () => cutAndResume(run, 'sse'),
    (v) => (r.cut!.sse = v),
  );
  await step(
    'limit',
    r,
    () => connectionLimit(run),
    (v) => (r.limit = v),
  );
  await step(
    'shared',
    r,
    () => sharedTabs(run, $('tabs')),
    (v) => (r.shared = v),
  );
  await step(
    'binary',
    r,
    () => binary(),
    (v) => (r.binary = { computed: true, rows: v }),
  );
  $('results').dataset.json = JSON.stringify(r);
  body.dataset.state = r.errors.length === 0 ? 'done' : 'failed';
  runButton.disabled = false;
  ($('copy') as HTMLButtonElement).disabled = false;
}

async function copy(): Promise<void> {
  if (results === undefined) return;
  const text = JSON.stringify(results, null, 2);
  try {
    await navigator.clipboard.writeText(text);
    $('copied').textContent = t('copied');
  } catch {
    console.info(text);
    $('copied').textContent = t('copyFailed');
  }
}

$('run').addEventListener('click', () => void runLab());
$('copy').addEventListener('click', () => void copy());
onLang(() => draw());
setupLang();
if (new URLSearchParams(location.search).get('run') === '1') void runLab();
