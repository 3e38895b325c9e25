import { Client, type ClientOptions } from '../client.ts';
import {
  broadcastPort,
  holdForLife,
  locks,
  messagePort,
  type RelayMessage,
  type SerializableOptions,
  type TabMessage,
} from './messages.ts';
import { Relay } from './relay.ts';
import { tabLinkConnector } from './tab-link.ts';

export interface ShareOptions {
  /**
   * `auto` (default): a SharedWorker when `worker` is given and the platform has SharedWorker (and the token is
   * not a callback, which cannot cross into a worker), else a leader tab elected with Web Locks, else no sharing.
   */
  readonly mode?: 'auto' | 'worker' | 'leader' | 'off';
  /** The URL of the worker bundle (`dist/switchboard-worker.js`), served from the page's origin. */
  readonly worker?: string | URL;
  /** Clients with the same key (default: the hub URL) share one connection. */
  readonly key?: string;
}

export interface SharedClientOptions extends ClientOptions {
  readonly share?: ShareOptions;
}

/** Runs `fn` when the page goes away (where there is a page: not in Node). */
function onPageHide(fn: () => void): void {
  (globalThis as { addEventListener?: (type: string, fn: () => void) => void }).addEventListener?.(
    'pagehide',
    fn,
  );
}

/** Backoff for re-opening a tab's link to the relay: local, so quick. */
const LINK_BACKOFF = { minDelayMs: 20, maxDelayMs: 1_000 };

function randomId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A `Client` whose connection is shared by every tab of the origin that uses the same key: one hub connection,
 * held by a SharedWorker or by a leader tab elected with Web Locks (messages over BroadcastChannel). When the
 * leader tab closes, another tab takes over; each tab's subscriptions resume from its own positions through the
 * new leader, so no publication is lost or repeated. The returned client has the API of any `Client`.
 */
export function createSharedClient(url: string, options: SharedClientOptions = {}): Client {
  const { share = {}, ...clientOptions } = options;
  const mode = share.mode ?? 'auto';
  const key = share.key ?? new URL(url, (globalThis as { location?: { href: string } }).location?.href).href;
  const g = globalThis as { SharedWorker?: typeof SharedWorker; BroadcastChannel?: unknown };
  const canWorker =
    g.SharedWorker !== undefined && share.worker !== undefined && typeof options.token !== 'function';
  const canLead = locks() !== undefined && g.BroadcastChannel !== undefined;
  const useWorker = mode === 'worker' || (mode === 'auto' && canWorker);
  const useLeader = !useWorker && (mode === 'leader' || (mode === 'auto' && canLead));
  if (mode === 'off' || (!useWorker && !useLeader)) return new Client(url, clientOptions);

  const tab = randomId();
  // Held for the life of this page: the relay learns that the tab is gone when it gets this lock.
  const alive = holdForLife(`switchboard:tab:${tab}`);
  // The tab's client speaks to the relay, which holds the credentials and the transport choice.
  const { token: _token, transport: _transport, ...rest } = clientOptions;
  const linkOptions = { ...rest, backoff: LINK_BACKOFF };

  if (useWorker) {
    if (share.worker === undefined) throw new TypeError('share.mode "worker" needs share.worker (its URL)');
    const worker = new SharedWorker(share.worker, { name: `switchboard:${key}`, type: 'module' });
    const port = messagePort<RelayMessage, TabMessage>(worker.port);
    const serializable: SerializableOptions = {
      url,
      ...(clientOptions.transport === undefined ? {} : { transport: clientOptions.transport }),
      ...(typeof clientOptions.token === 'string' ? { token: clientOptions.token } : {}),
    };
    onPageHide(() => port.post({ t: 'bye', tab }));
    return new Client(url, { ...linkOptions, connector: tabLinkConnector(port, tab, serializable, alive) });
  }

  const channelName = `switchboard:${key}`;
  const port = broadcastPort<RelayMessage, TabMessage>(channelName);
  onPageHide(() => port.post({ t: 'bye', tab }));
  void locks()!.request(`switchboard:leader:${key}`, async () => {
    // This tab leads until it dies: it holds the hub connection and relays for every tab.
    const upstream = new Client(url, clientOptions);
    const relayPort = broadcastPort<TabMessage, RelayMessage>(channelName);
    const relay = new Relay(upstream, (m) => relayPort.post(m));
    relayPort.listen((m) => relay.receive(m));
    // Every tab (this one too: its link is another BroadcastChannel object) re-opens its link to this relay.
    relayPort.post({ t: 'leader', id: tab });
    await new Promise<void>(() => {});
  });
  return new Client(url, { ...linkOptions, connector: tabLinkConnector(port, tab, undefined, alive) });
}
