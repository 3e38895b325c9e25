// The Switchboard inspector: connect over WebSocket or SSE, subscribe, publish, and watch every frame.
// Plain JavaScript with no build step: the page's CSP allows same-origin scripts only (no inline code or styles).
// Everything untrusted reaches the DOM through textContent, never as HTML.

/** Oldest log rows are dropped past this, so a busy channel cannot grow the page without bound. */
const MAX_LOG_ROWS = 2000;
/** WebSocket reconnects: full-jitter backoff between 0 and min(maxMs, baseMs x 2^attempt), at least minMs. */
const RECONNECT = { baseMs: 500, maxMs: 15_000, minMs: 200 };
/** The epoch given to a channel joining an SSE stream: no real position, so the hub answers `recovered: false`. */
const NO_EPOCH = 'new';

// ---- The resume cursor, as docs/protocol.md section 6 defines it (packages/protocol/src/cursor.ts in TypeScript;
// the browser tests check that the two agree). Exported so the tests can call it. ----

export function normalizeChannels(channels) {
  return [...new Set(channels)].sort();
}

export function channelSetFingerprint(channels) {
  let hash = 0x811c9dc5;
  channels.forEach((name, i) => {
    if (i > 0) hash = Math.imul(hash, 0x01000193) >>> 0; // the NUL separator: h XOR 0 = h
    for (let j = 0; j < name.length; j++) hash = Math.imul(hash ^ name.charCodeAt(j), 0x01000193) >>> 0;
  });
  return hash.toString(36);
}

/** `channels` normalized; one `{epoch, offset}` per channel, in the same order. */
export function encodeCursor(channels, positions) {
  let out = `1.${channelSetFingerprint(channels)}`;
  for (const p of positions) out += `.${p.epoch}-${p.offset}`;
  return out;
}

/** docs/protocol.md section 8: 4000-4499 reconnect, 4500-4999 do not; standard codes by their meaning. */
function shouldReconnect(code) {
  if (code >= 4000 && code <= 4499) return true;
  if (code >= 4500 && code <= 4999) return false;
  return ![1000, 1002, 1003, 1007, 1008, 1009].includes(code);
}

// ---- Page state ----

const $ = (id) => document.getElementById(id);
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

/** 'disconnected' | 'connecting' | 'connected' | 'reconnecting'; changed only by setConn. */
let conn = 'disconnected';
/** The open WebSocket or EventSource link, or null. */
let link = null;
/**
 * Channels of the connection: name -> { state, epoch, offset }. Positions outlive a disconnect, so the
 * next Connect with the same channels resumes from them.
 */
const channels = new Map();

function setConn(to, why) {
  const from = conn;
  conn = to;
  const badge = byTestId('conn-state');
  badge.textContent = to;
  badge.dataset.state = to;
  if (to === 'disconnected') byTestId('conn-user').textContent = '';
  if (from !== to) note('state', '', `${from} → ${to}${why ? ` (${why})` : ''}`);
  render();
}

function render() {
  const idle = conn === 'disconnected';
  for (const input of document.querySelectorAll('input[name="transport"]')) input.disabled = !idle;
  byTestId('connect').disabled = !idle;
  byTestId('subscribe').disabled = idle;
  $('disconnect').disabled = idle;
  byTestId('conn-transport').textContent = idle ? '' : link?.kind === 'sse' ? 'over SSE' : 'over WebSocket';
  if (idle) byTestId('client-id').textContent = '–';
  const wsLive = link?.kind === 'websocket' && conn === 'connected';
  for (const id of ['history', 'presence']) {
    byTestId(id).disabled = !wsLive;
    byTestId(id).title = wsLive ? '' : 'connect over WebSocket first';
  }
  $('api-key-field').hidden = $('publish-via').value !== 'api';
  renderChannels();
}

function renderChannels() {
  const body = byTestId('channel-list');
  body.replaceChildren();
  for (const [name, ch] of [...channels].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const tr = el('tr', { testid: 'channel-row', channel: name, state: ch.state });
    tr.append(
      el('td', { className: 'name', text: name, title: name }),
      el('td', { className: `st ${ch.state}`, text: ch.state }),
      el('td', { className: 'epoch', text: ch.epoch ?? '–', title: ch.epoch ?? '' }),
      el('td', {
        className: 'num',
        text: ch.offset === undefined ? '–' : String(ch.offset),
        testid: 'channel-offset',
      }),
    );
    const drop = el('button', {
      className: 'link',
      text: '✕',
      title: `unsubscribe from ${name}`,
      testid: 'unsubscribe',
    });
    drop.type = 'button';
    drop.setAttribute('aria-label', `Unsubscribe from ${name}`);
    drop.disabled = conn === 'disconnected';
    drop.addEventListener('click', () => unsubscribe(name));
    const td = el('td');
    td.append(drop);
    tr.append(td);
    body.append(tr);
  }
  $('no-channels').hidden = channels.size > 0;
}

function el(tag, { className, text, title, testid, ...data } = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (title) node.title = title;
  if (testid) node.dataset.testid = testid;
  for (const [k, v] of Object.entries(data)) if (v !== undefined) node.dataset[k] = String(v);
  return node;
}

// ---- The log ----

function clock() {
  const d = new Date();
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** One log row: dir is 'in' (from the hub), 'out' (to the hub) or 'note' (the page itself). */
function log(dir, type, channel, position, detail, extraClass = '') {
  const body = byTestId('log');
  const tr = el('tr', {
    className: `t-${type.replace(/[^a-z]/gi, '')} ${dir} ${extraClass}`.trim(),
    testid: 'log-entry',
    dir,
    type,
    channel: channel || undefined,
    epoch: position?.epoch,
    offset: position?.offset,
  });
  tr.append(
    el('td', { className: 'dir', text: dir === 'in' ? '↓' : dir === 'out' ? '↑' : '·', title: dir }),
    el('td', { className: 'time', text: clock() }),
    el('td', { className: 'type', text: type }),
    el('td', { className: 'chan', text: channel || '', title: channel || '' }),
    el('td', {
      className: 'pos',
      text: position ? `${position.offset}` : '',
      title: position ? `epoch ${position.epoch}` : '',
    }),
    el('td', {
      className: 'data',
      text: detail,
      title: detail.length > 80 ? detail : '',
      testid: 'log-data',
    }),
  );
  tr.addEventListener('click', () => tr.classList.toggle('open'));
  body.append(tr);
  while (body.rows.length > MAX_LOG_ROWS) body.rows[0].remove();
  showCount();
  if ($('follow').checked) $('logscroll').scrollTop = $('logscroll').scrollHeight;
}

function showCount() {
  const n = byTestId('log').rows.length;
  byTestId('log-count').textContent = `${n} ${n === 1 ? 'entry' : 'entries'}`;
  $('log-empty').hidden = n > 0;
}

function note(type, channel, text) {
  log('note', type, channel, undefined, text);
}

/** A payload of bytes (`data_b64`, protocol.md section 11): its length and first bytes in hex. */
function bytesSummary(base64) {
  const pad = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  const length = (base64.length / 4) * 3 - pad;
  const head = [...atob(base64.slice(0, 12))].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0'));
  return `${length} bytes: ${head.join(' ')}${length > head.length ? ' …' : ''}`;
}

/** A frame's own columns (type, channel, position) are shown apart; the data column gets the rest. */
function logFrame(dir, frame) {
  const { type, channel, epoch, offset, ...rest } = frame;
  const position = typeof epoch === 'string' && typeof offset === 'number' ? { epoch, offset } : undefined;
  let detail;
  if (type === 'message')
    detail =
      (typeof rest.data_b64 === 'string' ? bytesSummary(rest.data_b64) : JSON.stringify(rest.data)) +
      (rest.info ? `  (from ${rest.info.client})` : '');
  else detail = Object.keys(rest).length === 0 ? '' : JSON.stringify(rest);
  log(dir, String(type), typeof channel === 'string' ? channel : '', position, detail);
}

// ---- Frames from the hub, whatever the transport ----

const pending = new Map(); // WebSocket command id -> command

function receive(text) {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    return note('error', '', `not JSON: ${String(text).slice(0, 200)}`);
  }
  onFrame(frame);
}

function onFrame(frame) {
  logFrame('in', frame);
  const ch = typeof frame.channel === 'string' ? channels.get(frame.channel) : undefined;
  const asked = frame.id === undefined ? undefined : pending.get(frame.id);
  if (asked) pending.delete(frame.id);
  switch (frame.type) {
    case 'authed':
      byTestId('conn-user').textContent = frame.user === null ? '' : `as ${frame.user}`;
      return;
    case 'connected':
      byTestId('client-id').textContent = frame.client;
      byTestId('conn-user').textContent = typeof frame.user === 'string' ? `as ${frame.user}` : '';
      if (link) link.attempt = 0;
      setConn('connected');
      return;
    case 'subscribed':
      if (!ch) return;
      ch.state = 'subscribed';
      // When recovered, the missed messages follow and move the position on; otherwise the stream starts here.
      if (frame.recovered !== true) Object.assign(ch, { epoch: frame.epoch, offset: frame.offset });
      break;
    case 'message':
      if (!ch) return;
      Object.assign(ch, { epoch: frame.epoch, offset: frame.offset });
      break;
    case 'unsubscribed':
      channels.delete(frame.channel);
      break;
    case 'published':
      showResult(true, `published at offset ${frame.offset}`);
      return;
    case 'error':
      if (asked?.type === 'subscribe') channels.delete(asked.channel);
      if (asked?.type === 'publish') showResult(false, `${frame.code}: ${frame.message}`);
      break;
    case 'disconnect':
      if (link?.kind === 'sse' && !frame.reconnect) {
        // The browser would reconnect by itself; the hub said not to.
        closeLink();
        setConn('disconnected', frame.reason);
      }
      return;
    default:
      return;
  }
  renderChannels();
}

// ---- WebSocket ----

function openWebSocket() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/ws`);
  const self = { kind: 'websocket', ws, attempt: link?.attempt ?? 0, timer: undefined, closedByUs: false };
  link = self;
  note('open', '', `WebSocket ${ws.url}`);
  // Every channel in the table, including any added while this socket was connecting.
  ws.addEventListener('open', () => {
    // The token first: the hub runs the subscribes after it, as its user.
    const token = $('token').value.trim();
    if (token !== '') command({ type: 'auth', token });
    for (const name of channels.keys()) subscribeCommand(name);
  });
  ws.addEventListener('message', (e) => receive(e.data));
  ws.addEventListener('close', (e) => {
    log(
      'in',
      'close',
      '',
      undefined,
      JSON.stringify({ code: e.code, reason: e.reason, wasClean: e.wasClean }),
    );
    if (link !== self) return;
    for (const ch of channels.values()) ch.state = 'closed';
    pending.clear();
    if (self.closedByUs || !shouldReconnect(e.code)) {
      link = null;
      return setConn('disconnected', self.closedByUs ? 'closed by you' : `close ${e.code}`);
    }
    const ceiling = Math.min(RECONNECT.maxMs, RECONNECT.baseMs * 2 ** self.attempt);
    const delay = Math.max(RECONNECT.minMs, Math.round(Math.random() * ceiling));
    self.attempt++;
    setConn('reconnecting', `close ${e.code}; retrying in ${delay} ms`);
    self.timer = setTimeout(() => {
      if (link === self) openWebSocket();
    }, delay);
  });
}

let nextId = 1;

function wsOpen() {
  return link?.kind === 'websocket' && link.ws.readyState === WebSocket.OPEN;
}

function command(cmd) {
  if (!wsOpen()) {
    note('error', cmd.channel ?? '', 'not connected over WebSocket');
    return false;
  }
  const full = { ...cmd, id: nextId++ };
  pending.set(full.id, full);
  link.ws.send(JSON.stringify(full));
  // The log shows that a token was sent, never the token.
  logFrame('out', full.type === 'auth' ? { ...full, token: '(hidden)' } : full);
  return true;
}

function subscribeCommand(name) {
  const ch = channels.get(name);
  ch.state = 'pending';
  const since = ch.epoch === undefined ? undefined : { epoch: ch.epoch, offset: ch.offset };
  command(since ? { type: 'subscribe', channel: name, since } : { type: 'subscribe', channel: name });
  renderChannels();
}

// ---- SSE ----

const SSE_EVENTS = [
  'connected',
  'subscribed',
  'unsubscribed',
  'published',
  'history',
  'presence',
  'join',
  'leave',
  'ping',
  'pong',
  'disconnect',
];

/** Opens a stream on every channel in the table, resuming from their positions where there are any. */
function openEventSource() {
  const names = normalizeChannels([...channels.keys()]);
  const params = new URLSearchParams();
  for (const name of names) params.append('channel', name);
  const joining = names.filter((n) => channels.get(n).epoch === undefined);
  const resuming = joining.length < names.length;
  if (resuming) {
    // A cursor names a position for every channel; one that joins now has none, and the hub answers it live.
    const positions = names.map((n) =>
      joining.includes(n) ? { epoch: NO_EPOCH, offset: 0 } : channels.get(n),
    );
    params.set('since', encodeCursor(names, positions));
  }
  const url = `/sse?${params}`;
  const es = new EventSource(url);
  const self = { kind: 'sse', es, url, attempt: 0, closedByUs: false };
  link = self;
  for (const ch of channels.values()) ch.state = 'pending';
  note('open', '', `EventSource ${url}`);
  if (resuming) {
    for (const name of joining)
      note('info', name, 'joins live: no position to resume from (recovered: false)');
  }
  const onEvent = (e) => {
    if (link === self) receive(e.data);
  };
  // EventSource has no catch-all listener: every frame type of docs/protocol.md but `message` and `error`.
  for (const type of SSE_EVENTS) es.addEventListener(type, onEvent);
  es.addEventListener('message', onEvent);
  // `error` is both the hub's error frame (a MessageEvent with data) and the EventSource's own failure signal.
  es.addEventListener('error', (e) => {
    if (link !== self) return;
    if (e instanceof MessageEvent && typeof e.data === 'string') return onEvent(e);
    for (const ch of channels.values()) ch.state = 'pending';
    if (es.readyState === EventSource.CONNECTING) {
      return setConn('reconnecting', 'stream ended; the browser resumes it with Last-Event-ID');
    }
    link = null;
    setConn('disconnected', 'the stream was refused');
    explainRefusal(url);
  });
  renderChannels();
}

/** EventSource hides why a stream was refused; the same request by fetch shows the hub's JSON error. */
async function explainRefusal(url) {
  const abort = new AbortController();
  try {
    const res = await fetch(url, { signal: abort.signal, headers: { accept: 'text/event-stream' } });
    if (!res.ok) log('in', `HTTP ${res.status}`, '', undefined, await res.text(), 'error');
  } catch (err) {
    note('error', '', `the hub is unreachable (${err.message})`);
  } finally {
    abort.abort();
  }
}

// ---- Actions ----

function parseChannels(text) {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function connect(transport, names) {
  // Positions of channels that stay are kept, so connecting again resumes them.
  for (const name of [...channels.keys()]) if (!names.includes(name)) channels.delete(name);
  for (const name of names) if (!channels.has(name)) channels.set(name, { state: 'pending' });
  if (transport === 'sse') {
    if (names.length === 0) return note('error', '', 'name at least one channel for an SSE stream');
    if ($('token').value.trim() !== '')
      return note(
        'error',
        '',
        'an EventSource cannot send a token (and tokens never go in a URL): connect over WebSocket, or give the stream a ticket from POST /api/tickets',
      );
    openEventSource();
  } else {
    openWebSocket();
  }
  setConn('connecting');
}

function closeLink() {
  const current = link;
  link = null;
  if (!current) return;
  current.closedByUs = true;
  if (current.kind === 'sse') current.es.close();
  else {
    clearTimeout(current.timer);
    if (current.ws.readyState <= WebSocket.OPEN) current.ws.close(1000, 'closed by the inspector');
  }
  for (const ch of channels.values()) ch.state = 'closed';
  pending.clear();
}

function subscribe(name) {
  if (channels.has(name)) return note('error', name, 'already in the list');
  channels.set(name, { state: 'pending' });
  if (link?.kind === 'sse') {
    link.closedByUs = true;
    link.es.close();
    openEventSource();
  } else if (wsOpen()) {
    subscribeCommand(name);
  }
  renderChannels();
}

function unsubscribe(name) {
  if (wsOpen()) {
    command({ type: 'unsubscribe', channel: name });
    return;
  }
  channels.delete(name);
  if (link?.kind === 'sse') {
    link.closedByUs = true;
    link.es.close();
    if (channels.size === 0) {
      link = null;
      setConn('disconnected', 'no channels left');
    } else openEventSource();
  }
  renderChannels();
}

function showResult(ok, text) {
  const out = byTestId('publish-result');
  out.textContent = text;
  out.dataset.ok = String(ok);
}

/** JSON when it parses, else the text itself as a JSON string. */
function readData(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function publish() {
  const channel = $('publish-channel').value.trim();
  const data = readData($('publish-data').value);
  if (!channel) return showResult(false, 'enter a channel');
  if ($('publish-via').value === 'ws') {
    if (command({ type: 'publish', channel, data })) showResult(true, 'sent…');
    else showResult(false, 'connect over WebSocket to publish as a client');
    return;
  }
  const key = $('api-key').value.trim();
  if (!key) return showResult(false, 'enter the API key (the hub prints it at start-up)');
  log('out', 'POST /api/publish', channel, undefined, JSON.stringify(data));
  let res;
  try {
    res = await fetch('/api/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ channel, data }),
    });
  } catch (err) {
    return showResult(false, `the hub is unreachable (${err.message})`);
  }
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (a proxy's error page): shown as text below
  }
  const position = res.ok && body ? { epoch: body.epoch, offset: body.offset } : undefined;
  log('in', `HTTP ${res.status}`, channel, position, text, res.ok ? '' : 'error');
  if (res.ok) showResult(true, `published at offset ${body.offset}`);
  else
    showResult(
      false,
      body?.error ? `${res.status} ${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`,
    );
}

// ---- Wiring ----

$('connect-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const transport = document.querySelector('input[name="transport"]:checked').value;
  connect(transport, normalizeChannels(parseChannels($('channels').value)));
});
$('disconnect').addEventListener('click', () => {
  closeLink();
  setConn('disconnected', 'closed by you');
});
$('subscribe-form').addEventListener('submit', (e) => {
  e.preventDefault();
  for (const name of parseChannels($('subscribe-channel').value)) subscribe(name);
  $('subscribe-channel').value = '';
});
$('publish-form').addEventListener('submit', (e) => {
  e.preventDefault();
  publish();
});
$('publish-via').addEventListener('change', render);
$('query-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const limit = Number.parseInt($('history-limit').value, 10);
  const cmd = { type: 'history', channel: $('query-channel').value.trim() };
  command(Number.isSafeInteger(limit) && limit >= 0 ? { ...cmd, limit } : cmd);
});
$('presence').addEventListener('click', () =>
  command({ type: 'presence', channel: $('query-channel').value.trim() }),
);
$('show-pings').addEventListener('change', (e) =>
  byTestId('log').classList.toggle('hide-pings', !e.target.checked),
);
$('log-clear').addEventListener('click', () => {
  byTestId('log').replaceChildren();
  showCount();
});

render();
document.body.dataset.ready = 'true';
