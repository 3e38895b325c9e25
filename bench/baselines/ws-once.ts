// Baseline: `ws` with the frame built once. The publication is encoded and framed once (`Sender.frame`), and
// the same Buffer is written to every subscriber's raw socket.

import type { Socket } from 'node:net';
import * as wsModule from 'ws';
import { baselineArgs } from './common.ts';
import { serveWs } from './ws-common.ts';

// `Sender` is exported at run time but missing from @types/ws.
interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, o: FrameOptions): Buffer[] } };
const FRAME_OPTIONS: FrameOptions = { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false };

serveWs(baselineArgs(), (channels) => (channel, _offset, frame) => {
  const subs = channels.subscribers.get(channel);
  if (subs === undefined) return;
  const bytes = Buffer.concat(Sender.frame(Buffer.from(frame), FRAME_OPTIONS));
  for (const ws of subs) (ws as unknown as { _socket: Socket })._socket.write(bytes);
});
