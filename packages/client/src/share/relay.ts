import {
  CLOSE_CODES,
  type ClientCommand,
  type CommandId,
  type ErrorCode,
  type MessageFrame,
  type Position,
  type ServerFrame,
} from '@switchboard/protocol';
import type { Client } from '../client.ts';
import { SwitchboardClientError } from '../errors.ts';
import type { Message, SubscribedEvent, Subscription } from '../subscription.ts';
import { locks, type RelayMessage, type TabMessage } from './messages.ts';

/** Most live publications held for one tab while it catches up from history; past it the tab is dropped. */
const MAX_HELD = 10_000;
/** How long an upstream subscription no tab uses is kept (a tab that re-opens its link re-subscribes at once). */
const RELEASE_AFTER_MS = 5_000;
/** Most history pages read to bring one tab up to date. */
const MAX_CATCH_UP_PAGES = 50;

interface TabSub {
  readonly channel: string;
  /** What the tab asked to resume after; undefined for a fresh subscription. */
  readonly since: Position | undefined;
  readonly id: CommandId | undefined;
  /** `waiting` for the shared subscription, `catching` up from history (live ones held), or `live`. */
  phase: 'waiting' | 'catching' | 'live';
  /** The last position sent to the tab. */
  last: Position | undefined;
  held: MessageFrame[];
}

interface Tab {
  ready: boolean;
  readonly subs: Map<string, TabSub>;
}

interface Upstream {
  readonly sub: Subscription<unknown>;
  last: SubscribedEvent | undefined;
  readonly off: (() => void)[];
  releaseTimer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The one hub connection of an origin, serving every tab: a small hub of its own that speaks the Switchboard
 * protocol to tabs (through `post`) and holds one real `Client` upstream. Each channel is subscribed upstream
 * once; each tab's subscription joins it like the hub's own subscriptions do — fresh, or resuming after the
 * tab's position: publications the tab missed come from history, live ones are held meanwhile, and nothing at
 * or before the last one sent is sent again. So a tab that re-opens its link (to a new leader) loses nothing.
 */
export class Relay {
  readonly #upstream: Client;
  readonly #post: (message: RelayMessage) => void;
  readonly #tabs = new Map<string, Tab>();
  readonly #channels = new Map<string, Upstream>();
  readonly #offState: () => void;

  constructor(upstream: Client, post: (message: RelayMessage) => void) {
    this.#upstream = upstream;
    this.#post = post;
    this.#offState = upstream.on('state', ({ to }) => {
      if (to === 'connected') this.#answerHellos();
      // Tabs see their link go when the hub connection goes; they re-open it and resume through it.
      else
        for (const [id, tab] of this.#tabs)
          if (tab.ready) this.#drop(id, 1001, 'the hub connection was lost');
    });
  }

  get tabCount(): number {
    return this.#tabs.size;
  }

  receive(message: TabMessage): void {
    if (message.t === 'hello') return this.#hello(message.tab, message.channels ?? []);
    if (message.t === 'bye') return this.#forget(message.tab);
    const tab = this.#tabs.get(message.tab);
    if (tab?.ready) this.#command(message.tab, tab, message.cmd);
  }

  close(): void {
    this.#offState();
    for (const id of [...this.#tabs.keys()]) this.#drop(id, 1001, 'the relay closed');
  }

  #hello(
    id: string,
    channels: readonly { readonly channel: string; readonly since: Position | undefined }[],
  ): void {
    const known = this.#tabs.get(id);
    if (known !== undefined) {
      // The tab re-opened its link: it re-subscribes everything from its own positions.
      for (const channel of [...known.subs.keys()]) this.#leave(known, channel);
      known.ready = false;
    } else {
      this.#tabs.set(id, { ready: false, subs: new Map() });
      // The tab holds this lock for its life; getting it means the tab is gone.
      void locks()?.request(`switchboard:tab:${id}`, async () => this.#forget(id));
    }
    // Subscribed upstream now (an SSE connection opens only with its channels); the tab joins them once linked.
    for (const { channel, since } of channels) {
      this.#channel(channel, since);
      this.#releaseIfUnused(channel);
    }
    if (this.#upstream.state === 'connected') this.#answerHellos();
  }

  #answerHellos(): void {
    const client = this.#upstream.id;
    const transport = this.#upstream.transport;
    if (client === undefined || transport === undefined) return;
    for (const [id, tab] of this.#tabs) {
      if (tab.ready) continue;
      tab.ready = true;
      this.#send(id, { type: 'connected', client, version: 1, transport, user: null, heartbeat: 0 });
    }
  }

  #forget(id: string): void {
    const tab = this.#tabs.get(id);
    if (tab === undefined) return;
    this.#tabs.delete(id);
    for (const channel of [...tab.subs.keys()]) this.#leave(tab, channel);
  }

  #drop(id: string, code: number, reason: string): void {
    const tab = this.#tabs.get(id);
    if (tab === undefined) return;
    for (const channel of [...tab.subs.keys()]) this.#leave(tab, channel);
    tab.ready = false;
    this.#post({ t: 'drop', tab: id, code, reason });
  }

  #send(tab: string, frame: ServerFrame): void {
    this.#post({ t: 'frame', tab, frame });
  }

  #command(id: string, tab: Tab, cmd: ClientCommand): void {
    const reply = (frame: ServerFrame) => this.#send(id, frame);
    const withId = cmd.id === undefined ? {} : { id: cmd.id };
    const fail = (err: unknown) => {
      const e =
        err instanceof SwitchboardClientError ? err : new SwitchboardClientError('internal', String(err));
      const code = hubCode(e.code);
      reply({
        type: 'error',
        ...withId,
        code,
        message: e.message,
        ...(e.channel ? { channel: e.channel } : {}),
      });
    };
    const up = this.#upstream;
    switch (cmd.type) {
      case 'subscribe':
        return this.#join(id, tab, cmd.channel, cmd.since, cmd.id);
      case 'unsubscribe':
        this.#leave(tab, cmd.channel);
        return reply({ type: 'unsubscribed', ...withId, channel: cmd.channel });
      case 'publish': {
        const options = cmd.idempotencyKey === undefined ? {} : { idempotencyKey: cmd.idempotencyKey };
        up.publish(cmd.channel, cmd.data, options).then(
          (p) => reply({ type: 'published', ...withId, ...p }),
          fail,
        );
        return;
      }
      case 'history': {
        const options = {
          ...(cmd.since ? { since: cmd.since } : {}),
          ...(cmd.limit === undefined ? {} : { limit: cmd.limit }),
        };
        up.history(cmd.channel, options).then((h) => reply({ type: 'history', ...withId, ...h }), fail);
        return;
      }
      case 'presence':
        up.presence(cmd.channel).then(
          (clients) => reply({ type: 'presence', ...withId, channel: cmd.channel, clients }),
          fail,
        );
        return;
      case 'ping':
        return reply({ type: 'pong', ...withId });
      case 'auth':
        // The relay's own connection holds the credentials; a tab has none to give.
        return reply({
          type: 'error',
          ...withId,
          code: 'bad_request',
          message: 'tabs share the relay’s credentials',
        });
    }
  }

  // ---- Channels ----

  #join(
    id: string,
    tab: Tab,
    channel: string,
    since: Position | undefined,
    cmdId: CommandId | undefined,
  ): void {
    if (tab.subs.has(channel)) {
      const message = 'already subscribed to this channel';
      return this.#send(id, {
        type: 'error',
        ...(cmdId === undefined ? {} : { id: cmdId }),
        code: 'already_subscribed',
        message,
        channel,
      });
    }
    const sub: TabSub = { channel, since, id: cmdId, phase: 'waiting', last: undefined, held: [] };
    tab.subs.set(channel, sub);
    const up = this.#channel(channel, since);
    if (up.last !== undefined && up.sub.state === 'subscribed') void this.#catchUp(id, tab, sub, up);
  }

  #leave(tab: Tab, channel: string): void {
    if (!tab.subs.delete(channel)) return;
    this.#releaseIfUnused(channel);
  }

  /** Unsubscribes upstream a channel no tab uses, a little later (a tab that re-opens its link wants it back). */
  #releaseIfUnused(channel: string): void {
    const up = this.#channels.get(channel);
    if (up === undefined || this.#used(channel)) return;
    clearTimeout(up.releaseTimer);
    up.releaseTimer = setTimeout(() => {
      if (this.#used(channel)) return;
      for (const off of up.off) off();
      up.sub.unsubscribe();
      this.#channels.delete(channel);
    }, RELEASE_AFTER_MS);
  }

  #used(channel: string): boolean {
    for (const tab of this.#tabs.values()) if (tab.subs.has(channel)) return true;
    return false;
  }

  /** The upstream subscription of `channel`, made (resuming after `since`) by the first tab that wants it. */
  #channel(channel: string, since: Position | undefined): Upstream {
    const existing = this.#channels.get(channel);
    if (existing !== undefined) {
      clearTimeout(existing.releaseTimer);
      if (existing.sub.state === 'unsubscribed') existing.sub.subscribe();
      return existing;
    }
    const sub = this.#upstream.subscribe(channel, since === undefined ? {} : { since });
    const up: Upstream = { sub, last: undefined, off: [], releaseTimer: undefined };
    this.#channels.set(channel, up);
    up.off.push(
      sub.on('subscribed', (event) => {
        up.last = event;
        for (const [id, tab] of this.#tabs) {
          const ts = tab.subs.get(channel);
          if (ts === undefined) continue;
          // The hub could not resume the shared subscription: each tab resumes on its own (and hears so).
          if (ts.phase !== 'waiting' && event.recovered === false) {
            this.#drop(id, CLOSE_CODES.reconnect_requested.code, 'the hub could not resume the channel');
          } else if (ts.phase === 'waiting') void this.#catchUp(id, tab, ts, up);
        }
      }),
      sub.on('message', (m) => this.#deliver(channel, m)),
      sub.on('join', (client) => this.#fanout(channel, { type: 'join', channel, client })),
      sub.on('leave', (client) => this.#fanout(channel, { type: 'leave', channel, client })),
    );
    return up;
  }

  #fanout(channel: string, frame: ServerFrame): void {
    for (const [id, tab] of this.#tabs) if (tab.subs.get(channel)?.phase === 'live') this.#send(id, frame);
  }

  #deliver(channel: string, m: Message<unknown>): void {
    const frame: MessageFrame = {
      type: 'message',
      channel,
      epoch: m.epoch,
      offset: m.offset,
      data: m.data,
      ...(m.info === undefined ? {} : { info: m.info }),
    };
    for (const [id, tab] of this.#tabs) {
      const ts = tab.subs.get(channel);
      if (ts === undefined) continue;
      if (ts.phase !== 'live') {
        ts.held.push(frame);
        if (ts.held.length > MAX_HELD) this.#drop(id, CLOSE_CODES.slow_consumer.code, 'slow_consumer');
        continue;
      }
      this.#write(id, ts, frame);
    }
  }

  /** Sends a publication to one tab unless it already has it. */
  #write(id: string, ts: TabSub, frame: MessageFrame): void {
    const last = ts.last;
    if (last !== undefined && last.epoch === frame.epoch && frame.offset <= last.offset) return;
    ts.last = { epoch: frame.epoch, offset: frame.offset };
    this.#send(id, frame);
  }

  /** Brings one tab's subscription from its `since` to where the shared one is, then makes it live. */
  async #catchUp(id: string, tab: Tab, ts: TabSub, up: Upstream): Promise<void> {
    ts.phase = 'catching';
    const event = up.last!;
    const current = up.sub.position ?? event;
    const stillHere = () => this.#tabs.get(id) === tab && tab.subs.get(ts.channel) === ts;
    const subscribed = (top: Position, recovered: boolean | undefined) => {
      this.#send(id, {
        type: 'subscribed',
        ...(ts.id === undefined ? {} : { id: ts.id }),
        channel: ts.channel,
        epoch: top.epoch,
        offset: top.offset,
        recoverable: event.recoverable,
        ...(recovered === undefined ? {} : { recovered }),
      });
    };
    const since = ts.since;
    if (since === undefined || (since.epoch === current.epoch && since.offset === current.offset)) {
      ts.last = { epoch: current.epoch, offset: current.offset };
      subscribed(current, since === undefined ? undefined : true);
      return this.#goLive(id, ts);
    }
    try {
      let from = since;
      let first = true;
      for (let page = 0; page < MAX_CATCH_UP_PAGES; page++) {
        const h = await this.#upstream.history(ts.channel, { since: from });
        if (!stillHere()) return;
        if (first) {
          first = false;
          if (h.recovered !== true) {
            ts.last = { epoch: h.epoch, offset: h.offset };
            subscribed(h, false);
            return this.#goLive(id, ts);
          }
          ts.last = since;
          subscribed(h, true);
        }
        for (const p of h.publications) {
          this.#write(id, ts, {
            type: 'message',
            channel: ts.channel,
            epoch: p.epoch,
            offset: p.offset,
            data: p.data,
            ...(p.info ? { info: p.info } : {}),
          });
        }
        const last = h.publications.at(-1);
        if (last === undefined || last.offset >= h.offset) break;
        from = last;
      }
      this.#goLive(id, ts);
    } catch (err) {
      if (!stillHere()) return;
      const e =
        err instanceof SwitchboardClientError ? err : new SwitchboardClientError('internal', String(err));
      tab.subs.delete(ts.channel);
      const code = hubCode(e.code);
      this.#send(id, {
        type: 'error',
        ...(ts.id === undefined ? {} : { id: ts.id }),
        code,
        message: e.message,
        channel: ts.channel,
      });
    }
  }

  #goLive(id: string, ts: TabSub): void {
    ts.phase = 'live';
    const held = ts.held;
    ts.held = [];
    for (const frame of held) this.#write(id, ts, frame);
  }
}

/** A client error's code as a hub code for a tab: the local ones (never from the upstream hub) as the closest. */
function hubCode(code: SwitchboardClientError['code']): ErrorCode {
  if (code === 'timeout' || code === 'closed') return 'unavailable';
  return code === 'codec' ? 'internal' : code;
}
