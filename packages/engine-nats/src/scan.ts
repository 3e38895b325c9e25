import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';

/**
 * Reads the messages of one subject filter from a stream through a short-lived ephemeral consumer (in memory,
 * no acks, gone by itself if this node dies mid-read). `visit` returns true to stop early. The count is bounded
 * by what the consumer had pending when it was made, so a busy subject cannot keep a read going forever.
 */
export async function scan(
  jsm: JetStreamManager,
  js: JetStreamClient,
  stream: string,
  filter: string,
  deliver: 'all' | 'last_per_subject',
  timeoutMs: number,
  visit: (m: JsMsg) => boolean | undefined,
): Promise<void> {
  const info = await jsm.consumers.add(stream, {
    filter_subject: filter,
    deliver_policy: deliver === 'all' ? DeliverPolicy.All : DeliverPolicy.LastPerSubject,
    ack_policy: AckPolicy.None,
    mem_storage: true,
    num_replicas: 1,
    inactive_threshold: nanos(Math.max(timeoutMs * 2, 5_000)),
  });
  try {
    if (info.num_pending === 0) return;
    const consumer = await js.consumers.get(stream, info.name);
    const messages = await consumer.fetch({ max_messages: info.num_pending, expires: timeoutMs });
    for await (const m of messages) {
      if (visit(m) === true || m.info.pending === 0) break;
    }
  } finally {
    jsm.consumers.delete(stream, info.name).catch(() => {
      // Not fatal: the consumer's inactive threshold removes it anyway.
    });
  }
}
