// One "tab" of the lab's shared-connection test (a frame of /lab): the SDK's shared client over SSE, telling
// the lab when it is subscribed and when the publication arrives.
import { createSharedClient } from '@switchboard/client/shared';

const params = new URLSearchParams(location.search);
const tab = Number(params.get('tab'));
const channel = params.get('channel') ?? '';
const report = (event: 'ready' | 'message') =>
  parent.postMessage({ type: 'lab-tab', tab, event }, location.origin);

const client = createSharedClient(location.origin, {
  transport: 'sse',
  share: { mode: 'leader', key: params.get('key') ?? 'lab' },
});
const sub = client.subscribe(channel);
sub.on('message', () => report('message'));
void sub.ready().then(() => report('ready'));
addEventListener('pagehide', () => client.disconnect());
