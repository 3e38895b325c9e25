// `@switchboard/client/react`: hooks over `useSyncExternalStore`. The `Client` is made once, outside React (a
// module, or `useState(() => new Client(…))` above the provider), so StrictMode's double render and double
// effects can never open a second connection; subscriptions are reference-counted (see stores.ts).
import {
  createContext,
  createElement,
  type ReactNode,
  useContext,
  useMemo,
  useSyncExternalStore,
} from 'react';
import type { Client, ClientState } from '../client.ts';
import {
  connectionStore,
  type PresenceSnapshot,
  presenceStore,
  type SubscriptionSnapshot,
  subscriptionStore,
} from './stores.ts';

export type { PresenceSnapshot, SubscriptionSnapshot } from './stores.ts';

const SwitchboardContext = createContext<Client | null>(null);

/** Makes `client` the one the hooks below use when none is passed to them. */
export function SwitchboardProvider(props: {
  readonly client: Client;
  readonly children?: ReactNode;
}): ReactNode {
  return createElement(SwitchboardContext.Provider, { value: props.client }, props.children);
}

/** The provider's client (or `client`, when given). */
export function useClient(client?: Client): Client {
  const fromContext = useContext(SwitchboardContext);
  const c = client ?? fromContext;
  if (c === null) throw new Error('no Switchboard client: wrap the tree in <SwitchboardProvider client={…}>');
  return c;
}

/** The client's connection state: `disconnected`, `connecting` or `connected`. */
export function useConnectionState(client?: Client): ClientState {
  const c = useClient(client);
  const store = useMemo(() => connectionStore(c), [c]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

export interface UseSubscriptionOptions {
  readonly client?: Client;
  /** How many recent messages the snapshot keeps (default 100; 0 keeps only `last`). */
  readonly keep?: number;
}

/** Subscribes while mounted; re-renders on every message and state change. */
export function useSubscription<T = unknown>(
  channel: string,
  options: UseSubscriptionOptions = {},
): SubscriptionSnapshot<T> {
  const c = useClient(options.client);
  const keep = options.keep ?? 100;
  const store = useMemo(() => subscriptionStore<T>(c, channel, keep), [c, channel, keep]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

export interface UsePresenceOptions {
  readonly client?: Client;
  /** Re-read presence this often, in ms, besides on join/leave (default 10 000). */
  readonly refreshMs?: number;
}

/** Who is subscribed to `channel` (subscribing this client to it while mounted). */
export function usePresence(channel: string, options: UsePresenceOptions = {}): PresenceSnapshot {
  const c = useClient(options.client);
  const refreshMs = options.refreshMs ?? 10_000;
  const store = useMemo(() => presenceStore(c, channel, refreshMs), [c, channel, refreshMs]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
