// Bytes on the wire per publication of bytes, by transport: a WebSocket that negotiated `switchboard.binary`
// (binary frames), a text-only WebSocket and an SSE stream (both base64 in `data_b64`), and, for reference, a
// JSON payload of the same size. Every byte each subscriber's socket reads while `count` publications of `size`
// random bytes go out (one every `intervalMs`, so each is its own frame, as at a low rate), divided by `count`.
//
//   npm start                                              (a hub; or any running hub)
//   npm exec -- node bench/wire-bytes.ts http://127.0.0.1:8080 "$KEY" [count] [size]

import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';

export interface WireBytes {
  readonly size: number;
  readonly count: number;
  /** Bytes read per publication, per subscriber kind. */
  readonly perMessage: {
    readonly wsBinary: number;
    readonly wsText: number;
    readonly sse: number;
    readonly wsJson: number;
    readonly sseJson: number;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A subscriber whose socket's bytes are counted from the moment it is subscribed. */
interface Counted {
  readonly bytes: () => number;
  readonly messages: () => number;
  close(): void;
}

async function wsSubscriber(base: string, channel: string, protocols: string[]): Promise<Counted> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`, protocols);
  let messages = 0;
  let subscribed!: () => void;
  const ready = new Promise<void>((r) => {
    subscribed = r;
  });
  ws.on('message', (data, isBinary) => {
    if (isBinary) return void messages++;
    const type = (JSON.parse(String(data)) as { type: string }).type;
    if (type === 'message') messages++;
    else if (type === 'subscribed') subscribed();
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'subscribe', channel }));
  await ready;
  const socket = (ws as unknown as { _socket: Socket })._socket;
  const start = socket.bytesRead;
  return { bytes: () => socket.bytesRead - start, messages: () => messages, close: () => ws.close() };
}

async function sseSubscriber(base: string, channel: string): Promise<Counted> {
  let messages = 0;
  let text = '';
  let start = 0;
  let socket!: Socket;
  let ready!: () => void;
  const subscribed = new Promise<void>((r) => {
    ready = r;
  });
  const req = request(`${base}/sse?channel=${encodeURIComponent(channel)}`, (res) => {
    socket = res.socket;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
      let end = text.indexOf('\n\n');
      while (end >= 0) {
        const event = text.slice(0, end);
        text = text.slice(end + 2);
        if (event.startsWith('event: subscribed')) {
          start = socket.bytesRead;
          ready();
        } else if (event.includes('"type":"message"')) messages++;
        end = text.indexOf('\n\n');
      }
    });
  });
  req.end();
  await subscribed;
  return { bytes: () => socket.bytesRead - start, messages: () => messages, close: () => req.destroy() };
}

/** Measures against a running hub whose API key is `key`. */
export async function measureWireBytes(
  base: string,
  key: string,
  count = 200,
  size = 100,
  intervalMs = 5,
): Promise<WireBytes> {
  const channel = `wire-bytes-${randomBytes(4).toString('hex')}`;
  const jsonChannel = `${channel}-json`;
  const subs = {
    wsBinary: await wsSubscriber(base, channel, ['switchboard.binary']),
    wsText: await wsSubscriber(base, channel, []),
    sse: await sseSubscriber(base, channel),
    wsJson: await wsSubscriber(base, jsonChannel, ['switchboard.binary']),
    sseJson: await sseSubscriber(base, jsonChannel),
  };
  const post = (query: string, body: Uint8Array<ArrayBuffer> | string, type: string) =>
    fetch(`${base}/api/publish${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': type },
      body,
    }).then((r) => {
      if (r.status !== 200) throw new Error(`publish answered ${r.status}`);
    });
  // JSON of the same size: a string of `size - 2` characters is `size` bytes of JSON text.
  const json = JSON.stringify({ channel: jsonChannel, data: 'x'.repeat(size - 2) });
  for (let i = 0; i < count; i++) {
    await post(`?channel=${channel}`, new Uint8Array(randomBytes(size)), 'application/octet-stream');
    await post('', json, 'application/json');
    await sleep(intervalMs);
  }
  const all = Object.values(subs);
  const deadline = Date.now() + 10_000;
  while (all.some((s) => s.messages() < count) && Date.now() < deadline) await sleep(10);
  if (all.some((s) => s.messages() < count)) throw new Error('not every subscriber got every publication');
  const per = (s: Counted) => Math.round((s.bytes() / count) * 10) / 10;
  const perMessage = {
    wsBinary: per(subs.wsBinary),
    wsText: per(subs.wsText),
    sse: per(subs.sse),
    wsJson: per(subs.wsJson),
    sseJson: per(subs.sseJson),
  };
  for (const s of all) s.close();
  return { size, count, perMessage };
}

if (import.meta.main) {
  const [base, key, count, size] = process.argv.slice(2);
  if (base === undefined || key === undefined) {
    console.error('usage: node bench/wire-bytes.ts <hub URL> <API key> [count] [size]');
    process.exit(2);
  }
  const r = await measureWireBytes(base, key, Number(count ?? 200), Number(size ?? 100));
  console.log(`bytes on the wire per publication of ${r.size} bytes (${r.count} publications):`);
  for (const [kind, bytes] of Object.entries(r.perMessage)) console.log(`  ${kind.padEnd(9)} ${bytes}`);
}
