// A Socket.IO 4 server speaking the bench's subset: a client emits `subscribe` with a channel name and gets
// `subscribed`; `POST /api/publish` and `/api/broadcast` emit `message` with the published data to the room.
// WebSocket transport only, no compression: the fairest Socket.IO set-up for a fan-out.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { baselineArgs } from '../baselines/common.ts';

interface IoSocket {
  on(event: string, fn: (arg: unknown) => void): void;
  join(room: string): void;
  emit(event: string, arg: unknown): void;
}
interface IoServer {
  on(event: 'connection', fn: (socket: IoSocket) => void): void;
  to(room: string): { emit(event: string, arg: unknown): void };
}
interface IoModule {
  Server: new (server: unknown, options: Record<string, unknown>) => IoServer;
}

const NAME: string = 'socket.io';
const { Server } = (await import(NAME)) as IoModule;
const args = baselineArgs();

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

let offset = 0;
function api(req: IncomingMessage, res: ServerResponse, path: string): void {
  if (req.headers.authorization !== `Bearer ${args.apiKey}`)
    return reply(res, 401, { error: { code: 'unauthorized' } });
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    let body: { channel?: unknown; channels?: unknown; data?: unknown };
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      return reply(res, 400, { error: { code: 'invalid_json' } });
    }
    const channels =
      path === '/api/publish' ? [body.channel] : Array.isArray(body.channels) ? body.channels : [];
    for (const c of channels) if (typeof c === 'string') io.to(c).emit('message', body.data);
    reply(res, 200, { epoch: 'socketio', offset: ++offset });
  });
}

const server = createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0] ?? '';
  if (req.method === 'POST' && (path === '/api/publish' || path === '/api/broadcast'))
    return api(req, res, path);
  if (path === '/healthz') return reply(res, 200, { status: 'ok' });
  // Engine.IO handles its own paths; answer the rest.
  if (!path.startsWith('/socket.io/')) reply(res, 404, { error: { code: 'not_found' } });
});
const io = new Server(server, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
io.on('connection', (socket) => {
  socket.on('subscribe', (channel) => {
    if (typeof channel !== 'string') return;
    socket.join(channel);
    socket.emit('subscribed', channel);
  });
});
// The accept queue every target listens with (the hub's LISTEN_BACKLOG): the storm compares work, not queues.
server.listen({ port: args.port, host: '127.0.0.1', backlog: 4096 }, () =>
  console.log(`listening ${args.port}`),
);
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
