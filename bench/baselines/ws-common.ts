// The WebSocket side of the two `ws` baselines: upgrade at /ws, `connected` on open, `subscribe` → `subscribed`.

import { type WebSocket, WebSocketServer } from 'ws';
import { type BaselineArgs, Channels, type Deliver, notFound, serve, subscribedFrame } from './common.ts';

export function serveWs(args: BaselineArgs, makeDeliver: (channels: Channels<WebSocket>) => Deliver): void {
  const channels = new Channels<WebSocket>();
  const deliver = makeDeliver(channels);
  const server = serve(args, channels as Channels<unknown>, deliver, (_req, res) => notFound(res));
  const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
  wss.on('connection', (ws) => {
    const mine = new Set<string>();
    ws.send('{"type":"connected","client":"baseline","version":1,"transport":"websocket","heartbeat":0}');
    ws.on('message', (raw) => {
      let cmd: { type?: unknown; id?: unknown; channel?: unknown };
      try {
        cmd = JSON.parse(String(raw));
      } catch {
        return; // the baselines answer only what the generator sends
      }
      if (cmd.type !== 'subscribe' || typeof cmd.channel !== 'string') return;
      channels.add(cmd.channel, ws);
      mine.add(cmd.channel);
      ws.send(subscribedFrame(cmd.channel, channels.offset(cmd.channel), cmd.id));
    });
    ws.on('close', () => {
      for (const c of mine) channels.remove(c, ws);
    });
  });
}
