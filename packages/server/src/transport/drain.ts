import type { Socket } from 'node:net';

/**
 * One `drain` listener per socket, added the first time someone asks and replaced after that, so a connection
 * with many waiting subscriptions still has a single listener on its socket.
 */
export class DrainSignal {
  readonly #socket: Socket;
  #listener: (() => void) | null = null;
  #attached = false;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  set(listener: (() => void) | null): void {
    this.#listener = listener;
    if (listener !== null && !this.#attached) {
      this.#attached = true;
      this.#socket.on('drain', () => this.#listener?.());
    }
  }
}
