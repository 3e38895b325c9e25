// OpenTelemetry spans, as an operator who registers an SDK sees them: publish → store → fan-out, continuing the
// backend's `traceparent` from /api/publish. The "SDK" here is the smallest one that records spans in memory (an
// AsyncLocalStorage context manager, a W3C trace-context propagator and a recording tracer), registered through
// @opentelemetry/api exactly as a real SDK registers itself; the hub depends on the API alone.
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type Attributes,
  type Context,
  type ContextManager,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { MemoryCluster } from '../../packages/server/src/engine/memory/cluster.ts';
import { createMemoryEngine } from '../../packages/server/src/engine/memory/index.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { WsTestClient } from '../helpers/ws-client.ts';

interface Recorded {
  name: string;
  kind: SpanKind | undefined;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Attributes;
  status: SpanStatus | undefined;
  ended: boolean;
}

const spans: Recorded[] = [];

class RecordingSpan implements Span {
  readonly #context: SpanContext;
  readonly record: Recorded;
  constructor(name: string, options: SpanOptions, parent: SpanContext | undefined) {
    this.#context = {
      traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      traceFlags: 1,
    };
    this.record = {
      name,
      kind: options.kind,
      traceId: this.#context.traceId,
      spanId: this.#context.spanId,
      parentSpanId: parent?.spanId,
      attributes: { ...options.attributes },
      status: undefined,
      ended: false,
    };
    spans.push(this.record);
  }
  spanContext(): SpanContext {
    return this.#context;
  }
  setAttribute(key: string, value: Attributes[string]): this {
    this.record.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.record.attributes, attributes);
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.record.status = status;
    return this;
  }
  updateName(name: string): this {
    this.record.name = name;
    return this;
  }
  end(): void {
    this.record.ended = true;
  }
  isRecording(): boolean {
    return !this.record.ended;
  }
  recordException(): void {}
}

const tracer: Tracer = {
  startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
    return new RecordingSpan(name, options, trace.getSpanContext(ctx));
  },
  startActiveSpan(name: string, ...args: unknown[]): never {
    const fn = args.at(-1) as (span: Span) => never;
    const options = (args.length > 1 ? args[0] : {}) as SpanOptions;
    const ctx = (args.length > 2 ? args[1] : context.active()) as Context;
    const span = this.startSpan(name, options, ctx);
    return context.with(trace.setSpan(ctx, span), fn, undefined, span);
  },
};

const provider: TracerProvider = { getTracer: () => tracer };

const storage = new AsyncLocalStorage<Context>();
const contextManager: ContextManager = {
  active: () => storage.getStore() ?? ROOT_CONTEXT,
  with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.call(thisArg, ...args)),
  bind: (_ctx, target) => target,
  enable() {
    return this;
  },
  disable() {
    return this;
  },
};

/** W3C trace context: `traceparent: 00-<trace id>-<parent span id>-<flags>`. */
const traceContext: TextMapPropagator = {
  inject() {},
  extract(ctx, carrier) {
    const header = (carrier as Record<string, unknown>).traceparent;
    const m =
      typeof header === 'string' ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header) : null;
    if (m === null) return ctx;
    return trace.setSpanContext(ctx, {
      traceId: m[1]!,
      spanId: m[2]!,
      traceFlags: Number.parseInt(m[3]!, 16),
      isRemote: true,
    });
  },
  fields: () => ['traceparent'],
};

describe('OpenTelemetry spans with an SDK registered', () => {
  let hub: TestHub;
  let ws: WsTestClient;
  const cluster = new MemoryCluster();

  before(async () => {
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(traceContext);
    trace.setGlobalTracerProvider(provider);
    hub = await startTestHub({}, createMemoryEngine({ cluster }));
    ws = await WsTestClient.connect(hub.wsUrl);
    await ws.request({ type: 'subscribe', channel: 'traced', id: 1 });
  });

  after(async () => {
    await ws.close();
    await hub.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it("continues the backend's traceparent: publish → store → fanout", async () => {
    spans.length = 0;
    const traceId = randomBytes(16).toString('hex');
    const parent = randomBytes(8).toString('hex');
    const res = await hub.api(
      'publish',
      { channel: 'traced', data: 1 },
      { headers: { traceparent: `00-${traceId}-${parent}-01` } },
    );
    assert.equal(res.status, 200);
    await ws.waitMessages(1);

    const publish = spans.find((s) => s.name === 'publish traced')!;
    const store = spans.find((s) => s.name === 'store')!;
    const fanout = spans.find((s) => s.name === 'fanout')!;
    assert.ok(publish && store && fanout, JSON.stringify(spans));
    assert.deepEqual(
      [publish, store, fanout].map((s) => s.traceId),
      [traceId, traceId, traceId],
    );
    assert.equal(publish.parentSpanId, parent);
    assert.equal(store.parentSpanId, publish.spanId);
    assert.equal(fanout.parentSpanId, store.spanId);
    assert.equal(publish.attributes['messaging.destination.name'], 'traced');
    assert.equal(publish.attributes['switchboard.source'], 'api');
    assert.equal(fanout.attributes['switchboard.subscribers'], 1);
    assert.ok(spans.every((s) => s.ended));
  });

  it('starts a trace of its own without a traceparent, and marks a failed store', async () => {
    spans.length = 0;
    await hub.publish('traced', 2);
    const publish = spans.find((s) => s.name === 'publish traced')!;
    assert.equal(publish.parentSpanId, undefined);
    assert.equal(spans.find((s) => s.name === 'store')!.traceId, publish.traceId);

    spans.length = 0;
    // The engine down: the store fails, and both spans say so.
    cluster.setAvailable(false);
    try {
      const refused = await hub.api('publish', { channel: 'traced', data: 3 });
      assert.equal(refused.status, 503);
    } finally {
      cluster.setAvailable(true);
    }
    assert.deepEqual(
      spans.map((s) => [s.name, s.status?.code]),
      [
        ['publish traced', SpanStatusCode.ERROR],
        ['store', SpanStatusCode.ERROR],
      ],
    );

    spans.length = 0;
    // An oversize payload is refused before the store: no span at all.
    const big = await hub.api('publish', { channel: 'traced', data: 'x'.repeat(70 * 1024) });
    assert.equal(big.status, 413);
    assert.deepEqual(spans, []);
  });
});
