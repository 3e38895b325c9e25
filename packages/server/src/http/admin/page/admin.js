// The operators' console: a page over /admin/api/ (docs/admin.md). The admin key lives in this tab's session storage
// and goes out only in an Authorization header. Everything the hub returns is put in the page as text, never as HTML.

const KEY_STORAGE = 'switchboard-admin-key';
/** How often the charts sample the hub, and how many samples they keep. */
const SAMPLE_MS = 1_000;
const SAMPLES = 60;
/** Most messages kept in the live log. */
const LIVE_ROWS = 200;

const $ = (selector, root = document) => root.querySelector(selector);

/** An element with attributes and children (strings become text nodes). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

// ---- the key and requests ----

let key = sessionStorage.getItem(KEY_STORAGE);

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, body) {
  const res = await fetch(`/admin/api/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    if (res.status === 401) logout('the key was refused');
    throw new ApiError(res.status, json.error?.code ?? 'error', json.error?.message ?? res.statusText);
  }
  return json;
}

function show(loggedIn) {
  for (const el of document.querySelectorAll('[data-when="in"]')) el.hidden = !loggedIn;
  for (const el of document.querySelectorAll('[data-when="out"]')) el.hidden = loggedIn;
}

function logout(reason = '') {
  key = null;
  sessionStorage.removeItem(KEY_STORAGE);
  stopLive();
  clearInterval(sampler);
  sampler = undefined;
  show(false);
  $('[data-testid="login-error"]').textContent = reason;
  $('[data-testid="login-key"]').focus();
}

$('#login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  key = form.elements.key.value.trim();
  try {
    await api('overview');
  } catch (err) {
    $('[data-testid="login-error"]').textContent =
      err instanceof ApiError && err.status === 401
        ? 'That key was refused.'
        : `Could not log in: ${err.message}`;
    return;
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  form.reset();
  start();
});

$('#logout').addEventListener('click', () => logout());

// ---- tabs (arrow keys move between them, as WAI-ARIA tabs do) ----

const tabs = [...document.querySelectorAll('[role="tab"]')];

function select(view) {
  for (const tab of tabs) {
    const on = tab.dataset.view === view;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`#view-${tab.dataset.view}`).hidden = !on;
  }
  if (view === 'connections') void loadConnections();
  if (view === 'channels') void loadChannels();
}

for (const tab of tabs) {
  tab.addEventListener('click', () => select(tab.dataset.view));
  tab.addEventListener('keydown', (event) => {
    const i = tabs.indexOf(tab);
    const next =
      event.key === 'ArrowRight'
        ? tabs[(i + 1) % tabs.length]
        : event.key === 'ArrowLeft'
          ? tabs[(i - 1 + tabs.length) % tabs.length]
          : event.key === 'Home'
            ? tabs[0]
            : event.key === 'End'
              ? tabs[tabs.length - 1]
              : null;
    if (next === null) return;
    event.preventDefault();
    next.focus();
    select(next.dataset.view);
  });
}

// ---- confirmation ----

function confirmAction(text, okLabel = 'Confirm') {
  const dialog = $('#confirm');
  $('[data-testid="confirm-text"]').textContent = text;
  $('[data-testid="confirm-ok"]').textContent = okLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

// ---- formatting ----

const num = (n) => (Math.round(n * 10) / 10).toLocaleString('en');
const ms = (s) => (s === null ? '–' : s < 0.001 ? `${(s * 1000).toFixed(2)} ms` : `${num(s * 1000)} ms`);
function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${num(n / 1024)} KiB`;
  return `${num(n / 1024 / 1024)} MiB`;
}
const since = (t) => {
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
};
const position = (p) => (p === null || p === undefined ? '–' : `${p.epoch}:${p.offset}`);

// ---- overview: the node and the charts ----

let sampler;
let previous = null;
const series = { deliveries: [], latency50: [], latency99: [], outgoing: [], sheds: [], refusals: [] };

/** The `q` quantile of a histogram's interval counts (cumulative per bucket), as the bucket's upper bound. */
function quantile(buckets, counts, q) {
  const total = counts[counts.length - 1] ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] >= rank) {
      // Linear inside the bucket, as Prometheus' histogram_quantile does.
      const lower = i === 0 ? 0 : buckets[i - 1];
      const below = i === 0 ? 0 : counts[i - 1];
      const inBucket = counts[i] - below;
      return inBucket === 0 ? buckets[i] : lower + ((buckets[i] - lower) * (rank - below)) / inBucket;
    }
  }
  return buckets[buckets.length - 1];
}

function push(list, value) {
  list.push(value);
  if (list.length > SAMPLES) list.shift();
}

function sumValues(o) {
  return Object.values(o).reduce((a, b) => a + b, 0);
}

function draw(name, lists) {
  const svg = $(`[data-chart="${name}"] svg`);
  const all = lists.flat().filter((v) => v !== null);
  const max = Math.max(1e-9, ...all);
  svg.replaceChildren(
    ...lists.map((list, n) => {
      const points = list
        // The newest sample at the right edge; the line grows leftwards as samples come in.
        .map(
          (v, i) =>
            `${((SAMPLES - list.length + i) * 300) / (SAMPLES - 1)},${v === null ? 80 : 78 - (v / max) * 74}`,
        )
        .join(' ');
      const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
      line.setAttribute('points', points);
      line.setAttribute('class', n === 0 ? 'line' : 'line second');
      return line;
    }),
  );
}

async function sample() {
  let s;
  let overview;
  try {
    [s, overview] = await Promise.all([api('metrics'), api('overview')]);
    if (key === null) return;
  } catch {
    $('[data-testid="node-state"]').textContent = 'unreachable';
    $('[data-testid="node-state"]').dataset.state = 'bad';
    return;
  }
  renderNodes(overview);
  if (previous !== null) {
    const dt = (s.at - previous.at) / 1000 || 1;
    const interval = s.latency.counts.map((c, i) => c - previous.latency.counts[i]);
    push(series.deliveries, (s.deliveries - previous.deliveries) / dt);
    push(series.latency50, quantile(s.latency.buckets, interval, 0.5));
    push(series.latency99, quantile(s.latency.buckets, interval, 0.99));
    push(series.outgoing, s.outgoingBytes);
    push(series.sheds, (s.sheds - previous.sheds) / dt);
    push(series.refusals, (sumValues(s.refusals) - sumValues(previous.refusals)) / dt);
    $('[data-testid="chart-deliveries"]').textContent = num(series.deliveries.at(-1));
    $('[data-testid="chart-latency"]').textContent =
      `${ms(series.latency50.at(-1))} / ${ms(series.latency99.at(-1))}`;
    $('[data-testid="chart-outgoing"]').textContent = bytes(s.outgoingBytes);
    $('[data-testid="chart-sheds"]').textContent = num(series.sheds.at(-1));
    $('[data-testid="chart-refusals"]').textContent = num(series.refusals.at(-1));
    draw('deliveries', [series.deliveries]);
    draw('latency', [series.latency50, series.latency99]);
    draw('outgoing', [series.outgoing]);
    draw('sheds', [series.sheds]);
    draw('refusals', [series.refusals]);
  }
  $('[data-testid="refusal-codes"]').replaceChildren(
    ...Object.entries(s.refusals)
      .sort((a, b) => b[1] - a[1])
      .map(([code, n]) => h('tr', {}, h('td', {}, h('code', {}, code)), h('td', {}, String(n)))),
  );
  previous = s;
}

function renderNodes(overview) {
  const state = $('[data-testid="node-state"]');
  const n = overview.node;
  state.textContent = n.draining ? 'draining' : n.ready ? `${n.engine} · ready` : `${n.engine} · engine down`;
  state.dataset.state = n.ready && !n.draining ? 'ok' : 'bad';
  $('[data-testid="nodes"]').replaceChildren(
    ...overview.nodes.map((node) =>
      h(
        'div',
        { class: 'card panel', 'data-testid': 'node' },
        h(
          'h2',
          {},
          `${node.id === overview.node.id ? 'This node' : 'Node'} · ${node.engine} · `,
          h('code', { title: node.id }, String(node.id).slice(0, 8)),
        ),
        h(
          'dl',
          {},
          ...[
            ['state', node.draining ? 'draining' : node.ready ? 'ready' : 'engine unavailable'],
            ['up', since(node.startedAt)],
            [
              'connections',
              `${node.connections} (ws ${node.byTransport.ws}, sse ${node.byTransport.sse}, pusher ${node.byTransport.pusher})`,
            ],
            ['channels', String(node.channels)],
            ['queued', bytes(node.outgoingBytes)],
            ...(node.announcedAt === undefined ? [] : [['as of', `${since(node.announcedAt)} ago`]]),
          ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
        ),
      ),
    ),
  );
}

// ---- connections ----

async function loadConnections() {
  const form = $('#conn-filter');
  const q = new URLSearchParams();
  for (const name of ['transport', 'user', 'channel']) {
    const v = form.elements[name].value.trim();
    if (v !== '') q.set(name, v);
  }
  let r;
  try {
    r = await api(`connections?${q}`);
  } catch (err) {
    $('[data-testid="conn-summary"]').textContent = err.message;
    return;
  }
  $('[data-testid="conn-summary"]').textContent =
    `${r.matching} of ${r.total} connections · ws ${r.byTransport.ws} · sse ${r.byTransport.sse} · pusher ${r.byTransport.pusher}` +
    (r.connections.length < r.matching ? ` · showing the first ${r.connections.length}` : '');
  $('[data-testid="conn-rows"]').replaceChildren(
    ...r.connections.map((c) =>
      h(
        'tr',
        { 'data-client': c.client },
        h('td', {}, h('code', { title: c.client }, c.client.slice(0, 12))),
        h('td', {}, c.user ?? '–'),
        h('td', {}, c.transport),
        h('td', {}, since(c.connectedAt)),
        h('td', {}, String(c.channels)),
        h('td', {}, bytes(c.outgoingBytes)),
        h(
          'td',
          { class: 'actions' },
          h(
            'button',
            {
              type: 'button',
              class: 'ghost',
              onclick: () => showConnection(c.client),
              'aria-label': `Details of ${c.client}`,
            },
            'Details',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'data-testid': 'disconnect',
              onclick: () => disconnect({ client: c.client }),
              'aria-label': `Disconnect ${c.client}`,
            },
            'Disconnect',
          ),
        ),
      ),
    ),
  );
  $('[data-testid="by-user"]').replaceChildren(
    ...r.byUser.map((u) =>
      h(
        'li',
        {},
        h('button', { type: 'button', class: 'link', onclick: () => filterUser(u.user) }, u.user),
        ` · ${u.connections}`,
      ),
    ),
  );
}

function filterUser(user) {
  $('#conn-filter').elements.user.value = user;
  void loadConnections();
}

async function showConnection(client) {
  const panel = $('[data-testid="conn-detail"]');
  let c;
  try {
    c = await api(`connection?client=${encodeURIComponent(client)}`);
  } catch (err) {
    panel.hidden = false;
    panel.replaceChildren(h('p', { class: 'error' }, err.message));
    return;
  }
  panel.hidden = false;
  panel.replaceChildren(
    h('h2', { tabindex: '-1' }, 'Connection'),
    h(
      'dl',
      {},
      ...[
        ['client', c.client],
        ['user', c.user ?? '–'],
        ['transport', c.transport],
        ['connected', `${since(c.connectedAt)} ago`],
        ['queued', bytes(c.outgoingBytes)],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
    h('h3', {}, `Subscriptions (${c.subscriptions.length})`),
    h(
      'ul',
      { class: 'log', 'data-testid': 'conn-subscriptions' },
      ...c.subscriptions.map((ch) =>
        h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => openChannel(ch) }, ch)),
      ),
    ),
    h(
      'div',
      { class: 'row' },
      h(
        'button',
        { type: 'button', class: 'danger', onclick: () => disconnect({ client: c.client }) },
        'Disconnect client',
      ),
      c.user === null
        ? null
        : h(
            'button',
            { type: 'button', class: 'danger', onclick: () => disconnect({ user: c.user }) },
            'Disconnect user',
          ),
    ),
  );
  $('h2', panel).focus();
}

async function disconnect(target) {
  const what =
    target.user !== undefined ? `every connection of user “${target.user}”` : `client ${target.client}`;
  if (
    !(await confirmAction(`Disconnect ${what}? It may reconnect unless your backend stops it.`, 'Disconnect'))
  )
    return;
  try {
    const r = await api('disconnect', target);
    $('[data-testid="conn-summary"]').textContent = `Disconnected ${r.disconnected} connection(s).`;
  } catch (err) {
    $('[data-testid="conn-summary"]').textContent = `Could not disconnect: ${err.message}`;
  }
  $('[data-testid="conn-detail"]').hidden = true;
  // The hub has closed them by now; their sockets go within a moment.
  setTimeout(() => void loadConnections(), 300);
}

$('#conn-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadConnections();
});

// ---- channels ----

async function loadChannels() {
  const search = $('#chan-search').elements.search.value.trim();
  let r;
  try {
    r = await api(`channels?${new URLSearchParams(search === '' ? {} : { search })}`);
  } catch (err) {
    $('[data-testid="chan-summary"]').textContent = err.message;
    return;
  }
  $('[data-testid="chan-summary"]').textContent =
    `${r.matching} of ${r.total} channels with subscribers on this node`;
  $('[data-testid="chan-rows"]').replaceChildren(
    ...r.channels.map((c) =>
      h(
        'tr',
        {},
        h(
          'td',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              'data-testid': 'chan-link',
              onclick: () => openChannel(c.channel),
            },
            c.channel,
          ),
        ),
        h('td', {}, String(c.subscribers)),
        h('td', {}, num(c.rates.published)),
        h('td', {}, num(c.rates.delivered)),
        h('td', {}, h('code', {}, position(c.last))),
      ),
    ),
  );
}

$('#chan-search').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadChannels();
});
$('#chan-open').addEventListener('click', () => {
  const name = $('#chan-search').elements.search.value.trim();
  if (name !== '') void openChannel(name);
});

let current = null;

async function openChannel(channel) {
  select('channels');
  stopLive();
  current = channel;
  const view = $('[data-testid="channel-view"]');
  view.hidden = false;
  $('#channel-title').textContent = channel;
  $('[data-testid="publish-result"]').textContent = '';
  $('[data-testid="channel-stats"]').textContent = '';
  await refreshChannel();
  $('#channel-title').focus();
}

async function refreshChannel() {
  const channel = current;
  let c;
  try {
    c = await api(`channel?${new URLSearchParams({ channel })}`);
  } catch (err) {
    $('[data-testid="channel-stats"]').textContent = err.message;
    return;
  }
  if (channel !== current) return;
  $('[data-testid="channel-stats"]').textContent =
    `${c.subscribers} subscribers here · ${num(c.rates.published)} published/s · ${num(c.rates.delivered)} delivered/s · last ${position(c.top ?? c.last)}`;
  $('[data-testid="history"]').replaceChildren(
    ...(c.history === null
      ? [h('li', { class: 'muted' }, 'history is off for this channel')]
      : c.history
          .toReversed()
          .map((p) => h('li', {}, h('code', {}, `${p.offset}`), ' ', JSON.stringify(p.data)))),
  );
  $('[data-testid="presence"]').replaceChildren(
    ...(c.presence === null
      ? [h('li', { class: 'muted' }, 'presence is off for this channel')]
      : c.presence.map((p) => h('li', {}, `${p.user ?? 'anonymous'} · `, h('code', {}, p.client)))),
  );
  $('[data-testid="channel-clients"]').replaceChildren(
    ...c.clients.map((client) =>
      h(
        'li',
        {},
        h('code', {}, client.slice(0, 12)),
        ' ',
        h(
          'button',
          {
            type: 'button',
            class: 'danger small',
            onclick: () => disconnect({ client }),
            'aria-label': `Disconnect ${client}`,
          },
          'Disconnect',
        ),
      ),
    ),
  );
}

$('#publish').addEventListener('submit', async (event) => {
  event.preventDefault();
  const out = $('[data-testid="publish-result"]');
  let data;
  try {
    data = JSON.parse(event.currentTarget.elements.data.value);
  } catch {
    out.textContent = 'The data is not valid JSON.';
    return;
  }
  if (!(await confirmAction(`Publish this to every subscriber of “${current}”?`, 'Publish'))) return;
  try {
    const r = await api('publish', { channel: current, data });
    out.textContent = `Published at ${r.epoch}:${r.offset}.`;
  } catch (err) {
    out.textContent = `Refused: ${err.code}: ${err.message}`;
  }
  void refreshChannel();
});

// ---- live stream (an SSE stream opened with a single-use ticket) ----

let live = null;

function stopLive() {
  live?.close();
  live = null;
  $('[data-testid="live-state"]').textContent = 'not following';
  $('#live-toggle').textContent = 'Follow live';
}

$('#live-toggle').addEventListener('click', async () => {
  if (live !== null) return stopLive();
  const log = $('[data-testid="live-log"]');
  log.replaceChildren();
  let ticket;
  try {
    ticket = await api('stream', { channel: current });
  } catch (err) {
    $('[data-testid="live-state"]').textContent = `cannot follow: ${err.message}`;
    return;
  }
  const source = new EventSource(ticket.url);
  live = source;
  $('#live-toggle').textContent = 'Stop';
  $('[data-testid="live-state"]').textContent = 'connecting…';
  source.addEventListener('subscribed', () => {
    $('[data-testid="live-state"]').textContent = 'following live';
  });
  source.addEventListener('message', (event) => {
    const frame = JSON.parse(event.data);
    log.prepend(h('li', {}, h('code', {}, String(frame.offset)), ' ', JSON.stringify(frame.data)));
    while (log.childElementCount > LIVE_ROWS) log.lastElementChild.remove();
  });
  // A ticket works once: the browser's own reconnect would be refused, so the stream ends here.
  source.addEventListener('error', () => {
    if (live === source) {
      stopLive();
      $('[data-testid="live-state"]').textContent = 'stream ended';
    }
  });
});

// ---- start ----

function start() {
  show(true);
  select('overview');
  previous = null;
  void sample();
  clearInterval(sampler);
  sampler = setInterval(() => void sample(), SAMPLE_MS);
  $('[data-testid="tab-overview"]').focus();
}

if (key === null) show(false);
else start();
