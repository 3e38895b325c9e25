// A subscriber that never reads: it subscribes on a raw socket (WebSocket upgrade or SSE request written by
// hand), then stops reading, so the hub faces a peer whose kernel buffers fill and stay full.

import { connect, type Socket } from 'node:net';
import type { Transport } from './dialect.ts';
import { textFrame, upgradeRequest } from './ws-client.ts';

export class StuckReader {
  readonly #socket: Socket;
  #closed = false;
  #received = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('close', () => {
      this.#closed = true;
    });
    socket.on('error', () => {
      // The hub resets a slow consumer; `closed` reports it.
    });
  }

  /** Whether the hub ended the connection (a slow-consumer disconnect, under the `all` policy). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Connects, subscribes to `channels`, waits until `readyBytes` have arrived (the replies), then stops reading
   * for good.
   */
  static async open(
    host: string,
    port: number,
    transport: Transport,
    channels: string[],
  ): Promise<StuckReader> {
    const socket = connect(port, host);
    const reader = new StuckReader(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    let text = '';
    const seen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('stuck reader: no subscribed replies')), 10_000);
      socket.on('data', (chunk: Buffer) => {
        reader.#received += chunk.length;
        if (reader.#received > 64 * 1024) return;
        text += chunk.toString('latin1');
        if ((text.match(/"type":"subscribed"/g) ?? []).length >= channels.length) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    if (transport === 'ws') {
      socket.write(upgradeRequest(`${host}:${port}`, '/ws'));
      channels.forEach((channel, i) => {
        socket.write(textFrame(JSON.stringify({ type: 'subscribe', id: i + 1, channel })));
      });
    } else {
      const query = channels.map((c) => `channel=${encodeURIComponent(c)}`).join('&');
      socket.write(
        `GET /sse?${query} HTTP/1.1\r\nHost: ${host}:${port}\r\nAccept: text/event-stream\r\n\r\n`,
      );
    }
    await seen;
    socket.pause();
    return reader;
  }

  close(): void {
    this.#socket.resetAndDestroy();
  }
}
