import { awaitArrivals } from '@switchboard/test-helpers/arrivals';
import { until } from '@switchboard/test-helpers/wait';
import WebSocket from 'ws';
import type { HubProcess } from '../helpers/hub-process.ts';
import { SseTestClient } from '../helpers/sse-client.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

/** A position and payload as a subscriber saw it. */
export interface Seen {
  readonly epoch: string;
  readonly offset: number;
  readonly data: unknown;
}

/**
 * One client of the cluster, over WebSocket or SSE, that keeps what it received across reconnections (to the
 * same node or another), resuming from its last position as the SDK would: `since` over WebSocket, the cursor
 * as `Last-Event-ID` over SSE.
 */
export class ClusterSubscriber {
  readonly kind: 'ws' | 'sse';
  readonly channel: string;
  readonly #before: Seen[] = [];
  #ws: WsTestClient | undefined;
  #sse: SseTestClient | undefined;
  #lastEventId = '';

  private constructor(kind: 'ws' | 'sse', channel: string) {
    this.kind = kind;
    this.channel = channel;
  }

  static async open(kind: 'ws' | 'sse', node: HubProcess, channel: string): Promise<ClusterSubscriber> {
    const s = new ClusterSubscriber(kind, channel);
    await s.connect(node);
    return s;
  }

  /** Everything received so far, over every connection, in arrival order. */
  get seen(): Seen[] {
    return [...this.#before, ...this.#current()];
  }

  #current(): Seen[] {
    const frames = this.#ws?.messages(this.channel) ?? this.#sse?.messages(this.channel) ?? [];
    return frames.map((f) => ({
      epoch: f.epoch as string,
      offset: f.offset as number,
      data: f.data as unknown,
    }));
  }

  /** Whether the current connection is still open. */
  get connected(): boolean {
    if (this.#ws !== undefined) return this.#ws.ws.readyState === WebSocket.OPEN;
    return this.#sse !== undefined && !this.#sse.response.closed && !this.#sse.response.readableEnded;
  }

  /** (Re)connects to `node`, resuming after the last publication received. */
  async connect(node: HubProcess): Promise<void> {
    this.#before.push(...this.#current());
    if (this.#sse !== undefined) this.#lastEventId = this.#sse.lastEventId || this.#lastEventId;
    this.#ws = undefined;
    this.#sse = undefined;
    const last = this.#before.at(-1);
    if (this.kind === 'ws') {
      const ws = await WsTestClient.connect(node.wsUrl);
      const since = last === undefined ? {} : { since: { epoch: last.epoch, offset: last.offset } };
      const reply = await ws.request({ type: 'subscribe', channel: this.channel, ...since });
      if (reply.type !== 'subscribed') throw new Error(`subscribe failed: ${JSON.stringify(reply)}`);
      this.#ws = ws;
    } else {
      const headers: Record<string, string> =
        this.#lastEventId === '' ? {} : { 'last-event-id': this.#lastEventId };
      const sse = await SseTestClient.open(
        `${node.url}/sse?channel=${encodeURIComponent(this.channel)}`,
        headers,
      );
      await sse.waitFor((e) => e.event === 'subscribed');
      this.#sse = sse;
    }
  }

  /**
   * Waits until the connection is gone (its node died): the kernel closes a dead process's sockets, so the client
   * sees the close as soon as it reads, well within `limitMs`.
   */
  async waitDisconnected(limitMs: number): Promise<void> {
    await until(
      () => !this.connected,
      () => `${this.kind} client to notice its node is gone, still connected after ${limitMs} ms`,
      limitMs,
    );
  }

  /**
   * Waits until every one of `expected` (epoch, offset and data) has arrived, and returns everything received.
   * On timeout it fails saying which are missing, whether they arrived late or never, and what the connection
   * was doing (test-helpers/src/arrivals.ts). `limitMs`: derive it from the mechanism that delivers them.
   */
  async waitFor(expected: readonly Seen[], limitMs: number, node?: HubProcess): Promise<Seen[]> {
    await awaitArrivals({
      who: `the ${this.kind} client on ${this.channel}`,
      expected,
      received: () => this.seen,
      limitMs,
      state: () =>
        `connected ${this.connected}, last frames ${JSON.stringify(this.#lastFrames())}` +
        (node === undefined ? '' : `; its node's last output: ${node.output.slice(-1_500) || '(none)'}`),
    });
    return this.seen;
  }

  #lastFrames(): unknown[] {
    const frames = this.#ws?.frames ?? this.#sse?.events.map((e) => e.frame) ?? [];
    return frames.slice(-3);
  }

  async close(): Promise<void> {
    await this.#ws?.close();
    await this.#sse?.close();
  }
}

/** Publishes `count` publications through `node`, one after another, returning what the hub acknowledged. */
export async function publishMany(
  node: HubProcess,
  channel: string,
  count: number,
  first = 0,
  between: (i: number) => Promise<void> | void = () => {},
): Promise<Seen[]> {
  const acked: Seen[] = [];
  for (let i = first; i < first + count; i++) {
    const p = await node.publish(channel, i);
    acked.push({ epoch: p.epoch, offset: p.offset, data: i });
    await between(i);
  }
  return acked;
}
