// Baseline: the plain `node:http` SSE loop. Each publication is written with `res.write(string)` to each
// subscriber: Node encodes the string and adds chunked framing once per subscriber.

import type { ServerResponse } from 'node:http';
import { baselineArgs, Channels, notFound, serve, subscribedFrame } from './common.ts';

const channels = new Channels<ServerResponse>();
serve(
  baselineArgs(),
  channels as Channels<unknown>,
  (channel, offset, frame) => {
    const subs = channels.subscribers.get(channel);
    if (subs === undefined) return;
    for (const res of subs) res.write(`id: ${offset}\ndata: ${frame}\n\n`);
  },
  (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const wanted = url.searchParams.getAll('channel');
    if (url.pathname !== '/sse' || wanted.length === 0) return notFound(res);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('retry: 2000\n\n');
    for (const c of wanted) {
      channels.add(c, res);
      res.write(`event: subscribed\ndata: ${subscribedFrame(c, channels.offset(c))}\n\n`);
    }
    res.on('close', () => {
      for (const c of wanted) channels.remove(c, res);
    });
  },
);
