import type { ClientCommand, CommandId } from '@switchboard/protocol';
import { SwitchboardClientError } from './errors.ts';
import type { CommandBody, ReplyFrame } from './frames.ts';
import type { Transport } from './transport/types.ts';

interface Pending {
  readonly command: ClientCommand;
  readonly resolve: (frame: ReplyFrame) => void;
  readonly reject: (err: SwitchboardClientError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
  /** The transport the command went out on, or undefined while it waits for a connection. */
  sentOn: Transport | undefined;
}

/**
 * Commands waiting for their reply, matched by id. A call made while disconnected waits (within its timeout)
 * and goes out when the client connects. Bounded: past `max` pending calls, new ones reject at once.
 */
export class Calls {
  readonly #pending = new Map<CommandId, Pending>();
  readonly #max: number;
  #nextId = 1;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Starts a call; sends it now when `transport` is given. Rejects with `timeout` after `timeoutMs`. */
  call(body: CommandBody, timeoutMs: number, transport: Transport | undefined): Promise<ReplyFrame> {
    if (this.#pending.size >= this.#max) {
      return Promise.reject(
        new SwitchboardClientError('too_many_requests', 'too many calls waiting for a reply'),
      );
    }
    const id = this.#nextId++;
    const command = { ...body, id } as ClientCommand;
    return new Promise<ReplyFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SwitchboardClientError('timeout', `no reply to ${body.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      (timer as { unref?: () => void }).unref?.();
      const pending: Pending = { command, resolve, reject, timer, sentOn: undefined };
      this.#pending.set(id, pending);
      if (transport !== undefined) {
        pending.sentOn = transport;
        transport.send(command);
      }
    });
  }

  /** Settles the call a reply frame answers; false when no call has its id. */
  settle(frame: ReplyFrame): boolean {
    if (frame.id === undefined) return false;
    const pending = this.#pending.get(frame.id);
    if (pending === undefined) return false;
    this.#pending.delete(frame.id);
    clearTimeout(pending.timer);
    if (frame.type === 'error') {
      pending.reject(new SwitchboardClientError(frame.code, frame.message, frame.channel));
    } else pending.resolve(frame);
    return true;
  }

  /** Sends every call still waiting for a connection. */
  flush(transport: Transport): void {
    for (const pending of this.#pending.values()) {
      if (pending.sentOn !== undefined) continue;
      pending.sentOn = transport;
      transport.send(pending.command);
    }
  }

  /**
   * A WebSocket closed: its calls' replies can never come. They reject with `closed` (a publish may or may not
   * have happened; retry it with an `idempotencyKey`). Calls over SSE are their own HTTP requests and go on.
   */
  failSentOn(transport: Transport): void {
    for (const [id, pending] of this.#pending) {
      if (pending.sentOn !== transport) continue;
      this.#fail(id, pending, 'the connection closed before the reply came');
    }
  }

  failAll(message: string): void {
    for (const [id, pending] of this.#pending) this.#fail(id, pending, message);
  }

  #fail(id: CommandId, pending: Pending, message: string): void {
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.reject(new SwitchboardClientError('closed', message));
  }
}
