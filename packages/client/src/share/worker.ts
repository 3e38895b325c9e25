// The SharedWorker entry (bundled as dist/switchboard-worker.js): one hub connection for every tab that connects
// to this worker, through a Relay. Tabs start it with `createSharedClient(url, { share: { worker: '…' } })`.
import { Client } from '../client.ts';
import { messagePort, type Port, type RelayMessage, type TabMessage } from './messages.ts';
import { Relay } from './relay.ts';

const ports = new Map<string, Port<TabMessage, RelayMessage>>();
let relay: Relay | undefined;

function post(message: RelayMessage): void {
  if (message.t === 'leader') for (const p of ports.values()) p.post(message);
  else ports.get(message.tab)?.post(message);
}

(globalThis as unknown as { onconnect: ((e: MessageEvent) => void) | null }).onconnect = (
  e: MessageEvent,
) => {
  const raw = e.ports[0];
  if (raw === undefined) return;
  const port = messagePort<TabMessage, RelayMessage>(raw);
  port.listen((message) => {
    if (message.t === 'hello') {
      ports.set(message.tab, port);
      if (relay === undefined && message.options !== undefined) {
        const { url, ...options } = message.options;
        relay = new Relay(new Client(url, options), post);
      }
    }
    relay?.receive(message);
    if (message.t === 'bye') ports.delete(message.tab);
  });
};
