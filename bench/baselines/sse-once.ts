// Baseline: SSE with the bytes built once. The event is encoded once into a Buffer and that Buffer is written
// to every subscriber's raw socket; the response is close-delimited (no chunked framing), as the hub's is.

import type { Socket } from 'node:net';
import { baselineArgs, Channels, notFound, serve, subscribedFrame } from './common.ts';

const HEAD =
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n';

const channels = new Channels<Socket>();
serve(
  baselineArgs(),
  channels as Channels<unknown>,
  (channel, offset, frame) => {
    const subs = channels.subscribers.get(channel);
    if (subs === undefined) return;
    const bytes = Buffer.from(`id: ${offset}\ndata: ${frame}\n\n`);
    for (const socket of subs) socket.write(bytes);
  },
  (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const wanted = url.searchParams.getAll('channel');
    if (url.pathname !== '/sse' || wanted.length === 0) return notFound(res);
    // Take the socket over: the response head and every event are written to it directly.
    const socket = res.socket;
    if (socket === null) return;
    let head = `${HEAD}retry: 2000\n\n`;
    for (const c of wanted) {
      channels.add(c, socket);
      head += `event: subscribed\ndata: ${subscribedFrame(c, channels.offset(c))}\n\n`;
    }
    socket.write(head);
    socket.on('close', () => {
      for (const c of wanted) channels.remove(c, socket);
    });
  },
);
