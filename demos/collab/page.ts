// Collaborative editing with Yjs over one channel: document updates and awareness (cursors) as publications,
// a late joiner from the backend's snapshot plus history, offline edits merged on reconnect.
import type { Codec, Message, Position } from '@switchboard/client';
import {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from 'y-protocols/awareness';
import * as Y from 'yjs';
import { Kit } from '../kit/page.ts';

/** One publication: a Yjs document update, an awareness update, or both. */
interface Wire {
  update?: Uint8Array;
  awareness?: Uint8Array;
}
interface Snapshot {
  update: string;
  position?: Position;
}
interface Cursor {
  anchor: unknown;
  head: unknown;
}

const CHANNEL = 'collab:doc1';
const FLUSH_MS = 100; // one publication per 100 ms at most: within the hub's per-connection publish rate
const COLORS = ['#f5a623', '#3ecf8e', '#ff5d5d', '#b98cff', '#4fd1ff', '#ff8fd0'];
const NAMES = ['Ada', 'Lin', 'Grace', 'Wei', 'Alan', 'Mei', 'Edsger', 'Hua'];

const kit = new Kit({
  autoConnect: false,
  strings: {
    pending: { en: '{n} local edits waiting to be sent', zh: '{n} 处本地编辑等待发送' },
    synced: { en: 'All edits sent', zh: '所有编辑已发送' },
  },
});
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const editor = $<HTMLTextAreaElement>('editor');

/**
 * The channel's codec: each publication is bytes (Yjs updates are binary; the hub carries them as they are), the
 * document update's length (u32, big-endian), the update, then the awareness update to the end (either may be
 * empty). The backend reads the same layout from history (backend.ts).
 */
const WIRE: Codec<Wire> = {
  encode: ({ update = new Uint8Array(0), awareness = new Uint8Array(0) }) => {
    const out = new Uint8Array(4 + update.length + awareness.length);
    new DataView(out.buffer).setUint32(0, update.length);
    out.set(update, 4);
    out.set(awareness, 4 + update.length);
    return out;
  },
  decode: (data) => {
    if (!(data instanceof Uint8Array) || data.length < 4) throw new TypeError('not a collab publication');
    const n = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
    if (4 + n > data.length) throw new TypeError('a collab publication shorter than its update');
    const wire: Wire = {};
    if (n > 0) wire.update = data.subarray(4, 4 + n);
    if (data.length > 4 + n) wire.awareness = data.subarray(4 + n);
    return wire;
  },
};
const unb64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

const doc = new Y.Doc();
const text = doc.getText('text');
const awareness = new Awareness(doc);
const name = new URLSearchParams(location.search).get('name') ?? NAMES[doc.clientID % NAMES.length]!;
const color = COLORS[doc.clientID % COLORS.length]!;
awareness.setLocalStateField('user', { name, color });
$('me').textContent = name;
$('me').style.color = color;
document.body.dataset.name = name;

let pending: Uint8Array[] = [];
let awarenessDirty = true;
let offline = false;

function showPending(): void {
  kit.i18n(() => {
    $('pending').textContent = pending.length > 0 ? kit.t('pending', { n: pending.length }) : kit.t('synced');
  });
  document.body.dataset.pending = String(pending.length);
}

// ---- the textarea bound to the Y.Text ----
editor.addEventListener('input', () => {
  const now = editor.value;
  const was = text.toString();
  let start = 0;
  while (start < now.length && start < was.length && now[start] === was[start]) start++;
  let end = 0;
  while (
    end < now.length - start &&
    end < was.length - start &&
    now[now.length - 1 - end] === was[was.length - 1 - end]
  )
    end++;
  doc.transact(() => {
    if (was.length - start - end > 0) text.delete(start, was.length - start - end);
    if (now.length - start - end > 0) text.insert(start, now.slice(start, now.length - end));
  }, 'local');
  setCursor();
});

function setCursor(): void {
  const rel = (i: number) => Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, i));
  awareness.setLocalStateField('cursor', {
    anchor: rel(editor.selectionStart),
    head: rel(editor.selectionEnd),
  });
}
for (const ev of ['select', 'keyup', 'click', 'focus']) editor.addEventListener(ev, setCursor);

const absolute = (json: unknown): number | null =>
  Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(json), doc)?.index ?? null;

doc.on('update', (update: Uint8Array, origin: unknown) => {
  if (origin === 'local') {
    pending.push(update);
    showPending();
  }
});

/** Applies a remote update, keeping this page's selection where it was in the text. */
function applyRemote(update: Uint8Array): void {
  const rel = [editor.selectionStart, editor.selectionEnd].map((i) =>
    Y.createRelativePositionFromTypeIndex(text, i),
  );
  Y.applyUpdate(doc, update, 'remote');
  const value = text.toString();
  if (editor.value !== value) {
    editor.value = value;
    const [a, b] = rel.map((r) => Y.createAbsolutePositionFromRelativePosition(r, doc)?.index ?? 0);
    if (document.activeElement === editor) editor.setSelectionRange(a!, b!);
  }
  render();
}

// ---- awareness: peers and their cursors ----
awareness.on('update', (_: unknown, origin: unknown) => {
  if (origin === 'local') awarenessDirty = true;
  render();
});

function render(): void {
  const value = text.toString();
  const marks: { at: number; name: string; color: string }[] = [];
  const peers = $('peers');
  peers.innerHTML = '';
  for (const [id, state] of awareness.getStates()) {
    const user = state.user as { name: string; color: string } | undefined;
    if (user === undefined) continue;
    const li = document.createElement('li');
    li.style.setProperty('--c', user.color);
    li.dataset.name = user.name;
    li.textContent = id === doc.clientID ? `${user.name} (you/你)` : user.name;
    peers.append(li);
    const cursor = state.cursor as Cursor | undefined;
    const at = cursor === undefined ? null : absolute(cursor.head);
    if (at !== null) marks.push({ at, name: user.name, color: user.color });
  }
  marks.sort((a, b) => a.at - b.at);
  const mirror = $('mirror');
  mirror.textContent = '';
  let i = 0;
  for (const m of marks) {
    mirror.append(value.slice(i, m.at));
    const caret = document.createElement('span');
    caret.className = 'caret';
    caret.style.background = m.color;
    caret.dataset.name = m.name;
    mirror.append(caret);
    i = m.at;
  }
  mirror.append(value.slice(i));
  document.body.dataset.text = value;
}

// ---- the channel ----
function onWire(m: Message<Wire>): void {
  if (m.data.update !== undefined) applyRemote(m.data.update);
  if (m.data.awareness !== undefined) applyAwarenessUpdate(awareness, m.data.awareness, 'remote');
}

async function flush(): Promise<void> {
  if (offline || kit.client.state !== 'connected') return;
  const batch = pending;
  const wire: Wire = {};
  if (batch.length > 0) wire.update = Y.mergeUpdates(batch);
  if (awarenessDirty) wire.awareness = encodeAwarenessUpdate(awareness, [doc.clientID]);
  if (wire.update === undefined && wire.awareness === undefined) return;
  pending = [];
  awarenessDirty = false;
  try {
    await kit.client.publish(CHANNEL, WIRE.encode(wire), { timeoutMs: 5_000 });
  } catch {
    // Not sent (cut, offline, refused): keep it for the next flush. Yjs updates apply once however often sent.
    pending = [...batch, ...pending];
    if (wire.awareness !== undefined) awarenessDirty = true;
  }
  showPending();
}
let flushing = false;
setInterval(() => {
  if (flushing) return;
  flushing = true;
  flush().finally(() => {
    flushing = false;
  });
}, FLUSH_MS);

$('offline').addEventListener('click', () => {
  offline = !offline;
  $('offline').setAttribute('aria-pressed', String(offline));
  document.body.dataset.offline = String(offline);
  if (offline) kit.client.disconnect();
  else kit.client.connect();
});

addEventListener('pagehide', () => removeAwarenessStates(awareness, [doc.clientID], 'local'));

// ---- start: the backend's snapshot, then the channel from the snapshot's position ----
const snap = (await (await fetch('/demos/collab/api/snapshot')).json()) as Snapshot;
Y.applyUpdate(doc, unb64(snap.update), 'remote');
editor.value = text.toString();
kit.client.connect();
const sub = kit.client.subscribe<Wire>(CHANNEL, {
  codec: WIRE,
  ...(snap.position === undefined ? {} : { since: snap.position }),
});
kit.track(sub, { contiguous: true });
sub.on('message', onWire);
sub.on('subscribed', (e) => {
  if (e.recovered === false) {
    // The history no longer reaches the snapshot: take what it holds (Yjs merges whatever overlaps).
    sub.history({ limit: 1000 }).then(
      (h) => {
        for (const p of h.publications) if (p.data.update !== undefined) applyRemote(p.data.update);
      },
      () => {},
    );
  }
});
await sub.ready();
render();
showPending();
document.body.dataset.ready = 'true';
