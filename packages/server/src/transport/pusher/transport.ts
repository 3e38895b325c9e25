import type { ServerFrame } from '@switchboard/protocol';
import type { PreparedFrame, PreparedPublication } from '../../core/prepared.ts';
import type { Disconnect } from '../../errors.ts';
import type { Transport } from '../types.ts';
import type { WebSocketTransport } from '../websocket.ts';
import { encodeTextFrame } from '../ws-frame.ts';
import { PUSHER_CLOSE, PUSHER_CODES, type PusherCode } from './codes.ts';
import { PUSHER_EVENT } from './events.ts';
import { pusherChannel } from './names.ts';
import type { Roster } from './roster.ts';

/** A Pusher protocol event, as the hub writes it: `data` is sent as given (Pusher's own events carry strings). */
export interface PusherEvent {
  readonly event: string;
  readonly channel?: string;
  readonly data?: unknown;
}

/**
 * A Pusher connection's bytes: the hub's frames in the Pusher Channels protocol, over the bytes of a WebSocket
 * transport (its coalescing, outgoing bound and heartbeats). Publications go out as Pusher events built once per
 * publication and shared; joins and leaves become `member_added` / `member_removed` through the connection's
 * roster; the hub's reasons to close become Pusher's codes.
 */
export class PusherTransport implements Transport {
  readonly kind = 'websocket' as const;
  readonly dialect = 'pusher' as const;
  readonly #ws: WebSocketTransport;
  readonly #roster: Roster;

  constructor(ws: WebSocketTransport, roster: Roster) {
    this.#ws = ws;
    this.#roster = roster;
  }

  get writableBytes(): number {
    return this.#ws.writableBytes;
  }

  onDrain(listener: (() => void) | null): void {
    this.#ws.onDrain(listener);
  }

  /** Frames for this connection alone: only an `error` about no command has a Pusher form. */
  send(frame: ServerFrame): void {
    if (frame.type === 'error')
      this.event({ event: 'pusher:error', data: { code: null, message: frame.message } });
  }

  sendPrepared(frame: PreparedFrame): void {
    const f = frame.frame;
    if (f.type !== 'join' && f.type !== 'leave') return;
    const event = this.#roster.membership(f, pusherChannel(f.channel));
    if (event !== null) this.event({ ...event, data: JSON.stringify(event.data) });
  }

  sendPublication(prepared: PreparedPublication): void {
    this.#ws.writeFrame(prepared.bytes(PUSHER_EVENT), prepared.at);
  }

  /** One Pusher event for this connection (cold path). */
  event(e: PusherEvent): void {
    this.#ws.writeFrame(encodeTextFrame(JSON.stringify(e)));
  }

  close(d: Disconnect): void {
    this.closeWith(PUSHER_CLOSE[d.reason], d.reason);
  }

  /** `pusher:error` with `code`, then the close frame with the same code. */
  closeWith(code: PusherCode, reason: string): void {
    this.event({ event: 'pusher:error', data: { code, message: PUSHER_CODES[code] } });
    this.#ws.closeWith(code, reason);
  }
}
