// Socket.IO as a peer, when the `socket.io` package can be imported (it is not a dependency of the project:
// install it with `npm install --no-save socket.io`).

import { createRequire } from 'node:module';

export function socketIoAvailable(): string | undefined {
  try {
    createRequire(import.meta.url).resolve('socket.io');
    return undefined;
  } catch {
    return 'socket.io not installed (npm install --no-save socket.io)';
  }
}
