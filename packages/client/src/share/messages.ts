import type { ClientCommand, Position, ServerFrame } from '@switchboard/protocol';

/**
 * What tabs and the relay (the one hub connection of an origin, in a SharedWorker or the leader tab) say to each
 * other. Frames and commands are the hub's own (docs/protocol.md): a tab speaks the Switchboard protocol to the
 * relay as it would to a hub, so the tab's client keeps all its logic (state, resume, calls).
 */
export type TabMessage =
  /** A tab opens its link: the relay answers with a `connected` frame once its own hub connection is up. */
  | {
      readonly t: 'hello';
      readonly tab: string;
      readonly options?: SerializableOptions;
      /**
       * The tab's channels (it subscribes them once connected): the relay subscribes them upstream at once, since
       * an SSE connection cannot open without a channel.
       */
      readonly channels?: readonly { readonly channel: string; readonly since: Position | undefined }[];
    }
  | { readonly t: 'cmd'; readonly tab: string; readonly cmd: ClientCommand }
  /** The tab is going away (page hide): the relay forgets it at once instead of when its lock is released. */
  | { readonly t: 'bye'; readonly tab: string };

export type RelayMessage =
  | { readonly t: 'frame'; readonly tab: string; readonly frame: ServerFrame }
  /** The relay ends the tab's link (its hub connection went away, or the tab fell too far behind). */
  | { readonly t: 'drop'; readonly tab: string; readonly code: number; readonly reason: string }
  /** A new relay took over (leader mode): every tab re-opens its link to it. */
  | { readonly t: 'leader'; readonly id: string };

/** The options a SharedWorker can receive from a tab (functions cannot cross a MessagePort). */
export interface SerializableOptions {
  readonly url: string;
  readonly transport?: 'websocket' | 'sse' | 'auto';
  readonly token?: string;
}

/** Both ends of a message channel between a tab and the relay: BroadcastChannel or a MessagePort. */
export interface Port<In, Out> {
  post(message: Out): void;
  listen(handler: (message: In) => void): void;
  close(): void;
}

export function broadcastPort<In, Out>(name: string): Port<In, Out> {
  const bc = new BroadcastChannel(name);
  return {
    post: (m) => bc.postMessage(m),
    listen: (h) => {
      bc.onmessage = (e: MessageEvent) => h(e.data as In);
    },
    close: () => bc.close(),
  };
}

export function messagePort<In, Out>(port: MessagePort): Port<In, Out> {
  return {
    post: (m) => port.postMessage(m),
    listen: (h) => {
      port.onmessage = (e: MessageEvent) => h(e.data as In);
      port.start();
    },
    close: () => port.close(),
  };
}

/** Web Locks, where the platform has them (every current browser; not Node). */
export function locks(): LockManager | undefined {
  return (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
}

/**
 * Holds the lock `name` until the page (or worker) dies: others learn of that death when they get the lock.
 * Resolves once it is held, so nobody can be told about this tab before its death can be noticed.
 */
export function holdForLife(name: string): Promise<void> {
  return new Promise((resolve) => {
    const manager = locks();
    if (manager === undefined) return resolve();
    void manager.request(name, () => {
      resolve();
      return new Promise<void>(() => {});
    });
  });
}
