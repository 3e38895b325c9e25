// Chat: rooms with presence and join/leave, history on join, typing indicators (a namespace without history),
// direct messages through the backend into user channels, and sends retried with an idempotency key.
import type { ClientInfo, Codec, Message, Subscription } from '@switchboard/client';
import { Kit } from '../kit/page.ts';

interface ChatMessage {
  id: string;
  user: string;
  text: string;
  /** A picture (its file's bytes): the message is then a publication of bytes. */
  image?: Uint8Array;
}

/** The chat namespace's `maxMessageSize` (hub.json), less room for the message's header. */
const MAX_IMAGE_BYTES = 64 * 1024 - 512;

/**
 * A room's codec: a text message is JSON; a picture is bytes — the header's length (u32, big-endian), the
 * header (`{id, user, text}` as JSON), then the image file — so it travels and is kept as bytes, not base64.
 */
const CHAT: Codec<ChatMessage> = {
  encode: ({ image, ...header }) => {
    if (image === undefined) return header;
    const head = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(4 + head.length + image.length);
    new DataView(out.buffer).setUint32(0, head.length);
    out.set(head, 4);
    out.set(image, 4 + head.length);
    return out;
  },
  decode: (data) => {
    if (!(data instanceof Uint8Array)) return data as ChatMessage;
    const n = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
    const header = JSON.parse(new TextDecoder().decode(data.subarray(4, 4 + n))) as ChatMessage;
    return { ...header, image: data.subarray(4 + n) };
  },
};
interface Dm {
  id: string;
  from: string;
  to: string;
  text: string;
}

let token = '';
let me = '';
const kit = new Kit({
  autoConnect: false,
  token: async () => token,
  strings: {
    typingOne: { en: '{who} is typing…', zh: '{who} 正在输入…' },
    stats: {
      en: 'Sent {sent}; retries {retries}; each retry got the first send’s position back, so nothing was doubled.',
      zh: '已发送 {sent}；重试 {retries}；每次重试都拿回第一次发送的位置，没有重复消息。',
    },
    room: { en: '# {room}', zh: '# {room}' },
  },
});
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let room = '';
let roomSub: Subscription<ChatMessage> | undefined;
let typingSub: Subscription<{ user: string }> | undefined;
const people = new Map<string, Set<string>>(); // user -> client ids
const typingUntil = new Map<string, number>();
let sent = 0;
let retries = 0;

function showStats(): void {
  $('stats').textContent = sent === 0 ? '' : kit.t('stats', { sent, retries });
}
kit.i18n(showStats);

function renderPeople(): void {
  const ul = $('people');
  ul.innerHTML = '';
  for (const user of [...people.keys()].sort()) {
    const li = document.createElement('li');
    li.dataset.user = user;
    li.textContent = user === me ? `${user} (you/你)` : user;
    li.addEventListener('click', () => {
      $<HTMLInputElement>('dm-to').value = user;
      $<HTMLInputElement>('dm-text').focus();
    });
    ul.append(li);
  }
}

function addPerson(c: ClientInfo): void {
  if (c.user === null) return;
  const set = people.get(c.user) ?? new Set();
  set.add(c.client);
  people.set(c.user, set);
  renderPeople();
}

function removePerson(c: ClientInfo): void {
  if (c.user === null) return;
  const set = people.get(c.user);
  set?.delete(c.client);
  if (set?.size === 0) people.delete(c.user);
  renderPeople();
}

function showMessage(offset: number, m: ChatMessage, fromHistory: boolean): void {
  const list = $('messages');
  if (list.querySelector(`li[data-offset="${offset}"]`) !== null) return;
  const li = document.createElement('li');
  li.dataset.offset = String(offset);
  li.dataset.id = m.id;
  li.dataset.text = m.text;
  if (fromHistory) li.className = 'history';
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = m.user;
  li.append(who, m.text);
  if (m.image !== undefined) {
    const img = document.createElement('img');
    img.className = 'picture';
    img.alt = m.text;
    img.src = URL.createObjectURL(new Blob([m.image as Uint8Array<ArrayBuffer>]));
    li.dataset.image = String(m.image.length);
    li.append(img);
  }
  // Keep offset order: history may land after the first live messages.
  const next = [...list.children].find((el) => Number((el as HTMLElement).dataset.offset) > offset);
  list.insertBefore(li, next ?? null);
  list.scrollTop = list.scrollHeight;
}

function showTyping(): void {
  const now = Date.now();
  const who = [...typingUntil].filter(([u, until]) => until > now && u !== me).map(([u]) => u);
  $('typing').textContent = who.length === 0 ? '' : kit.t('typingOne', { who: who.join(', ') });
  $('typing').dataset.who = who.join(',');
}
setInterval(showTyping, 500);

async function enter(next: string): Promise<void> {
  if (next === room) return;
  roomSub?.unsubscribe();
  typingSub?.unsubscribe();
  room = next;
  for (const b of document.querySelectorAll<HTMLButtonElement>('#rooms button'))
    b.setAttribute('aria-pressed', String(b.dataset.room === room));
  kit.i18n(() => {
    $('room-title').textContent = kit.t('room', { room });
  });
  $('messages').innerHTML = '';
  people.clear();
  renderPeople();
  const sub = kit.client.subscribe<ChatMessage>(`chat:${room}`, { codec: CHAT });
  roomSub = sub;
  kit.track(sub, { contiguous: true });
  sub.on('message', (m: Message<ChatMessage>) => showMessage(m.offset, m.data, false));
  sub.on('join', addPerson);
  sub.on('leave', removePerson);
  sub.on('subscribed', () => {
    // Presence again after every (re)subscribe: who left or came while this page was away.
    sub.presence().then(
      (clients) => {
        people.clear();
        for (const c of clients) addPerson(c);
      },
      () => {},
    );
  });
  typingSub = kit.client.subscribe<{ user: string }>(`typing:${room}`);
  typingSub.on('message', (m) => {
    typingUntil.set(m.data.user, Date.now() + 3_000);
    showTyping();
  });
  await sub.ready();
  // History on join: what was said before this page came.
  const past = await sub.history({ limit: 50 });
  for (const p of past.publications) showMessage(p.offset, p.data, true);
}

/** Publishes with one idempotency key for every attempt: a retry after a lost answer never doubles it. */
async function send(text: string, image?: Uint8Array): Promise<void> {
  const message: ChatMessage = { id: crypto.randomUUID(), user: me, text, ...(image ? { image } : {}) };
  const payload = CHAT.encode(message);
  const channel = `chat:${room}`;
  sent += 1;
  showStats();
  if ($<HTMLInputElement>('flaky').checked) {
    // The first answer "gets lost": the page cannot know the message went out, and sends it again.
    await kit.client.publish(channel, payload, { idempotencyKey: message.id });
    retries += 1;
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await kit.client.publish(channel, payload, { idempotencyKey: message.id, timeoutMs: 5_000 });
      break;
    } catch (err) {
      if (attempt >= 5) throw err;
      retries += 1;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
  showStats();
}

let lastTypingSent = 0;
$('text').addEventListener('input', () => {
  const now = Date.now();
  if (now - lastTypingSent < 1_500 || room === '') return;
  lastTypingSent = now;
  kit.client.publish(`typing:${room}`, { user: me }).catch(() => {});
});

$('send').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>('text');
  const text = input.value.trim();
  if (text === '') return;
  input.value = '';
  send(text).catch((err: unknown) => {
    $('stats').textContent = String(err);
  });
});

$('picture').addEventListener('change', async () => {
  const input = $<HTMLInputElement>('picture');
  const file = input.files?.[0];
  input.value = '';
  if (file === undefined || room === '') return;
  if (file.size > MAX_IMAGE_BYTES) {
    $('stats').textContent = `${file.name}: ${file.size} bytes, more than ${MAX_IMAGE_BYTES}`;
    return;
  }
  send(file.name, new Uint8Array(await file.arrayBuffer())).catch((err: unknown) => {
    $('stats').textContent = String(err);
  });
});

function showDm(d: Dm): void {
  const list = $('dm-list');
  if (list.querySelector(`li[data-id="${CSS.escape(d.id)}"]`) !== null) return;
  const li = document.createElement('li');
  li.dataset.id = d.id;
  li.dataset.text = d.text;
  li.dataset.from = d.from;
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = d.from === me ? `→ ${d.to}` : `${d.from} →`;
  li.append(who, d.text);
  list.append(li);
}

$('dm').addEventListener('submit', (e) => {
  e.preventDefault();
  const to = $<HTMLInputElement>('dm-to').value.trim();
  const input = $<HTMLInputElement>('dm-text');
  const text = input.value.trim();
  if (to === '' || text === '') return;
  input.value = '';
  const body = JSON.stringify({ to, text, id: crypto.randomUUID() });
  const attempt = async (n: number): Promise<void> => {
    const res = await fetch('/demos/chat/api/dm', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    }).catch(() => null);
    if ((res === null || res.status >= 500) && n < 5) {
      await new Promise((r) => setTimeout(r, 200 * 2 ** n));
      return attempt(n + 1);
    }
  };
  void attempt(0);
});

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await fetch('/demos/chat/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: $<HTMLInputElement>('name').value.trim() }),
  });
  const answer = (await res.json()) as { token?: string; user?: string; rooms?: string[] };
  if (!res.ok || answer.token === undefined || answer.user === undefined) {
    $('name').style.outline = '2px solid var(--bad)';
    return;
  }
  token = answer.token;
  me = answer.user;
  document.body.dataset.user = me;
  $('login').hidden = true;
  $('app').hidden = false;
  for (const r of answer.rooms ?? []) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.room = r;
    b.textContent = `# ${r}`;
    b.addEventListener('click', () => void enter(r));
    $('rooms').append(b);
  }
  kit.client.connect();
  const inbox = kit.client.subscribe<Dm>(`dm:inbox#${me}`);
  inbox.on('message', (m) => showDm(m.data));
  inbox.on('subscribed', () => {
    inbox.history({ limit: 50 }).then(
      (h) => {
        for (const p of h.publications) showDm(p.data);
      },
      () => {},
    );
  });
  await enter(answer.rooms?.[0] ?? 'lobby');
  document.body.dataset.ready = 'true';
});
