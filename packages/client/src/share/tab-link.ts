import { shouldReconnect } from '@switchboard/protocol';
import type { Connector } from '../client.ts';
import type { Port, RelayMessage, SerializableOptions, TabMessage } from './messages.ts';

/**
 * A connector for a tab's `Client`: instead of a socket to the hub, a link to the relay over a port. The relay
 * answers with the hub's frames, so the tab's client runs unchanged (states, calls, resume after a re-open).
 * A link closes when the relay drops it or when a new relay announces itself; the client then re-opens it.
 */
export function tabLinkConnector(
  port: Port<RelayMessage, TabMessage>,
  tab: string,
  options: SerializableOptions | undefined,
  /** Resolves once the tab holds its life lock: the relay watches that lock to learn when the tab is gone. */
  alive: Promise<void>,
): Connector {
  let current: ((message: RelayMessage) => void) | undefined;
  port.listen((message) => current?.(message));
  return (_kind, params) => {
    const { handlers } = params;
    let connected = false;
    let done = false;
    const end = (code: number, reason: string) => {
      if (done) return;
      done = true;
      current = undefined;
      handlers.closed({ code, reason, reconnect: shouldReconnect(code), beforeConnected: !connected });
    };
    current = (message) => {
      if (done) return;
      if (message.t === 'leader') return end(1001, 'a new relay took over');
      if (message.tab !== tab) return;
      if (message.t === 'drop') return end(message.code, message.reason);
      handlers.alive();
      if (message.frame.type === 'connected') connected = true;
      handlers.frame(message.frame);
    };
    void alive.then(() => {
      const channels = params.channels;
      if (!done)
        port.post(
          options === undefined ? { t: 'hello', tab, channels } : { t: 'hello', tab, options, channels },
        );
    });
    return {
      kind: 'websocket',
      fixedChannels: false,
      seesHeartbeats: true,
      send(cmd) {
        if (!done) port.post({ t: 'cmd', tab, cmd });
      },
      close() {
        done = true;
        current = undefined;
      },
    };
  };
}
