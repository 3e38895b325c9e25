// Baseline: the plain `ws` loop. Each publication is sent with `ws.send(string)` to each subscriber, so `ws`
// encodes and frames it once per subscriber.

import { baselineArgs } from './common.ts';
import { serveWs } from './ws-common.ts';

serveWs(baselineArgs(), (channels) => (channel, _offset, frame) => {
  const subs = channels.subscribers.get(channel);
  if (subs === undefined) return;
  for (const ws of subs) ws.send(frame);
});
