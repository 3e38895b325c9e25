import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INVALID_SPAN_CONTEXT, type Span, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import { traceFanout, tracePublish, tracingEnabled } from './tracing.ts';

/** A provider whose spans only count how many were started, by name. */
function countingProvider(started: string[]): TracerProvider {
  const span = {
    spanContext: () => INVALID_SPAN_CONTEXT,
    setAttribute() {
      return span;
    },
    setAttributes() {
      return span;
    },
    addEvent() {
      return span;
    },
    addLink() {
      return span;
    },
    addLinks() {
      return span;
    },
    setStatus() {
      return span;
    },
    updateName() {
      return span;
    },
    end() {},
    isRecording: () => false,
    recordException() {},
  } as Span;
  const tracer = {
    startSpan(name: string): Span {
      started.push(name);
      return span;
    },
  } as unknown as Tracer;
  return { getTracer: () => tracer };
}

describe('tracing without and with an SDK', () => {
  it('starts no span without an SDK, spans once one is registered, none again once it is disabled', async () => {
    const started: string[] = [];
    assert.equal(tracingEnabled(), false);
    assert.equal(await tracePublish('a', 'api', async () => 7), 7);
    let fanouts = 0;
    traceFanout('a', () => ++fanouts);
    assert.equal(fanouts, 1);

    trace.setGlobalTracerProvider(countingProvider(started));
    try {
      assert.equal(tracingEnabled(), true);
      assert.equal(await tracePublish('a', 'api', async () => 8), 8);
      traceFanout('a', () => ++fanouts);
      assert.equal(fanouts, 2);
      assert.deepEqual(started, ['publish a', 'fanout']);
    } finally {
      trace.disable();
    }
    assert.equal(tracingEnabled(), false);
    await tracePublish('a', 'api', async () => 9);
    traceFanout('a', () => ++fanouts);
    assert.equal(fanouts, 3);
    assert.deepEqual(started, ['publish a', 'fanout']);
  });

  it('passes a failed store through unchanged without an SDK', async () => {
    await assert.rejects(
      tracePublish('a', 'api', async () => {
        throw new Error('store failed');
      }),
      /store failed/,
    );
  });
});
