import type { ClientInfo } from '@switchboard/protocol';
import type { Client, ClientState } from '../client.ts';
import type { SwitchboardClientError } from '../errors.ts';
import type { Message, SubscriptionState } from '../subscription.ts';

/** A store for `useSyncExternalStore`: immutable snapshots, replaced on every change. */
export interface Store<S> {
  subscribe(onChange: () => void): () => void;
  getSnapshot(): S;
}

const retained = new WeakMap<
  Client,
  Map<string, { count: number; timer: ReturnType<typeof setTimeout> | undefined }>
>();

/**
 * Reference-counted use of a client's channel subscription. The last release unsubscribes one tick later, so
 * StrictMode's mount → unmount → mount (and a component moving in the tree) costs no unsubscribe/subscribe
 * round trip: exactly one subscription per channel, however many components use it.
 */
export function retain(client: Client, channel: string): () => void {
  let byChannel = retained.get(client);
  if (byChannel === undefined) {
    byChannel = new Map();
    retained.set(client, byChannel);
  }
  let entry = byChannel.get(channel);
  if (entry === undefined) {
    entry = { count: 0, timer: undefined };
    byChannel.set(channel, entry);
  }
  clearTimeout(entry.timer);
  entry.count++;
  client.subscribe(channel);
  let released = false;
  const e = entry;
  return () => {
    if (released) return;
    released = true;
    if (--e.count > 0) return;
    e.timer = setTimeout(() => {
      if (e.count === 0) client.getSubscription(channel)?.unsubscribe();
    }, 0);
  };
}

/**
 * A store whose source is attached when its first listener subscribes and detached after its last leaves.
 * `attach` gets `update` (merge into a new snapshot, tell the listeners) and `get`, and returns the detach.
 */
function lazyStore<S extends object>(
  initial: S,
  attach: (update: (next: Partial<S>) => void, get: () => S) => () => void,
): Store<S> {
  let snapshot = initial;
  const listeners = new Set<() => void>();
  const update = (next: Partial<S>) => {
    snapshot = { ...snapshot, ...next };
    for (const l of listeners) l();
  };
  let detach: (() => void) | undefined;
  return {
    getSnapshot: () => snapshot,
    subscribe(onChange) {
      listeners.add(onChange);
      detach ??= attach(update, () => snapshot);
      return () => {
        listeners.delete(onChange);
        if (listeners.size === 0) {
          detach?.();
          detach = undefined;
        }
      };
    },
  };
}

export function connectionStore(client: Client): Store<ClientState> {
  return { subscribe: (onChange) => client.on('state', onChange), getSnapshot: () => client.state };
}

export interface SubscriptionSnapshot<T> {
  readonly state: SubscriptionState;
  /** The last `keep` messages, oldest first. */
  readonly messages: readonly Message<T>[];
  readonly last: Message<T> | undefined;
  /** False after a resume the hub could not complete (reload the app's state); else undefined or true. */
  readonly recovered: boolean | undefined;
  readonly error: SwitchboardClientError | undefined;
}

export function subscriptionStore<T>(
  client: Client,
  channel: string,
  keep: number,
): Store<SubscriptionSnapshot<T>> {
  const initial: SubscriptionSnapshot<T> = {
    state: client.getSubscription(channel)?.state ?? 'unsubscribed',
    messages: [],
    last: undefined,
    recovered: undefined,
    error: undefined,
  };
  return lazyStore(initial, (update, get) => {
    const release = retain(client, channel);
    const sub = client.getSubscription<T>(channel)!;
    const offs = [
      sub.on('state', ({ to }) => update({ state: to })),
      sub.on('message', (m) => {
        const { messages: held } = get();
        const messages = held.length >= keep ? held.slice(1 - keep) : [...held];
        if (keep > 0) messages.push(m);
        update({ messages, last: m });
      }),
      sub.on('subscribed', (e) => update({ recovered: e.recovered })),
      sub.on('error', (error) => update({ error })),
    ];
    if (sub.state !== get().state) update({ state: sub.state });
    return () => {
      for (const off of offs) off();
      release();
    };
  });
}

export interface PresenceSnapshot {
  readonly clients: readonly ClientInfo[];
  readonly loading: boolean;
  readonly error: SwitchboardClientError | undefined;
}

/** Presence of a channel: read when the subscription is up, again on every join/leave and every `refreshMs`. */
export function presenceStore(client: Client, channel: string, refreshMs: number): Store<PresenceSnapshot> {
  const initial: PresenceSnapshot = { clients: [], loading: true, error: undefined };
  return lazyStore(initial, (update) => {
    const release = retain(client, channel);
    const sub = client.getSubscription(channel)!;
    let live = true;
    const read = () => {
      if (sub.state !== 'subscribed') return;
      sub.presence().then(
        (clients) => live && update({ clients, loading: false, error: undefined }),
        (error: SwitchboardClientError) => live && update({ loading: false, error }),
      );
    };
    const offs = [sub.on('subscribed', read), sub.on('join', read), sub.on('leave', read)];
    const timer = setInterval(read, refreshMs);
    read();
    return () => {
      live = false;
      clearInterval(timer);
      for (const off of offs) off();
      release();
    };
  });
}
