// OpenTelemetry spans through @opentelemetry/api alone: with no SDK registered (the default) every call below is
// the API's no-op; an operator who registers an SDK (a tracer provider, and a propagator for `traceparent`) gets
// spans for publish → store → fan-out. docs/observability.md#traces.
import {
  type Context,
  context,
  ProxyTracerProvider,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

const tracer = trace.getTracer('switchboard');

/** The provider behind the API's global proxy while no SDK is registered (the API's own no-op singleton). */
const NO_SDK = new ProxyTracerProvider().getDelegate();

/**
 * True when an SDK has registered a tracer provider. Without one (the default) every span is the API's no-op and
 * a span's context is its parent's, so the publish path skips them: no span, attributes object, span name,
 * context copy or closure per publication (a broadcast to 100 channels made 100 of each). Read on every call, so
 * an SDK registered (or disabled) after start-up takes effect at once.
 */
export function tracingEnabled(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_SDK;
}

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
export function tracePublish<T>(channel: string, source: string, store: () => Promise<T>): Promise<T> {
  // No SDK: the active context (the request's, with any propagated trace) is what the no-op span would carry.
  if (!tracingEnabled()) return store();
  return recordPublish(channel, source, store);
}

async function recordPublish<T>(channel: string, source: string, store: () => Promise<T>): Promise<T> {
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
    // This trace not sampled: the store runs in the same context, without a `store` child that would record
    // nothing either, and without the callbacks and promises it would cost on every publish.
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
  if (!tracingEnabled()) {
    fanout();
    return;
  }
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
