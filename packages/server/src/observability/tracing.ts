// OpenTelemetry spans through @opentelemetry/api alone: with no SDK registered (the default) every call below is
// the API's no-op; an operator who registers an SDK (a tracer provider, and a propagator for `traceparent`) gets
// spans for publish → store → fan-out. docs/observability.md#traces.
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

const tracer = trace.getTracer('switchboard');

/** Incoming headers as an HTTP request carries them. */
type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** Runs `fn` in the trace context a request carries (`traceparent`, through the registered propagator). */
export function withRequestContext<T>(headers: Headers, fn: () => T): T {
  return context.with(propagation.extract(ROOT_CONTEXT, headers), fn);
}

/**
 * A publication, accepted and stored: one `PRODUCER` span (`publish <channel>`) with a child around the engine's
 * append (`store`). Fan-out spans (`fanout`) start inside the store span when the engine delivers in the same step
 * (the memory engine); other engines deliver from their subscriber connection, outside this trace.
 */
export async function tracePublish<T>(channel: string, source: string, store: () => Promise<T>): Promise<T> {
  const span = tracer.startSpan(`publish ${channel}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'switchboard',
      'messaging.operation.type': 'publish',
      'messaging.destination.name': channel,
      'switchboard.source': source,
    },
  });
  const active = trace.setSpan(context.active(), span);
  if (!span.isRecording()) {
    // No SDK registered (the default), or this trace not sampled: the store runs in the same context, without a
    // `store` child that would record nothing either, and without the callbacks and promises it would cost on
    // every publish.
    try {
      return await context.with(active, store);
    } finally {
      span.end();
    }
  }
  return context.with(active, async () => {
    try {
      return await tracer.startActiveSpan('store', async (storing) => ended(storing, store));
    } catch (err) {
      fail(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** One publication handed to this node's subscribers of its channel. */
export function traceFanout(channel: string, fanout: () => number): void {
  const span = tracer.startSpan(
    'fanout',
    { kind: SpanKind.CONSUMER, attributes: { 'messaging.destination.name': channel } },
    context.active() satisfies Context,
  );
  try {
    span.setAttribute('switchboard.subscribers', fanout());
  } finally {
    span.end();
  }
}

async function ended<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    fail(span, err);
    throw err;
  } finally {
    span.end();
  }
}

function fail(span: Span, err: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}
