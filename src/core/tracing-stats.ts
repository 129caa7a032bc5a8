/**
 * The tracing pipeline's own health (docs/observability.md, "Is tracing healthy?"), kept for the
 * whole process so /metrics (tracing-metrics.ts) can report it whatever app it belongs to:
 * `startTracing` (tracing-sdk.ts) runs before `buildApp`, once per process in production and
 * several times in tests. Counts only grow (a restart of the SDK adds to them), so they are
 * Prometheus counters.
 *
 * Two pipelines: `message` (per-message spans, encoded and batched by tracing-message-export.ts,
 * which counts into `spanCounts.message` itself) and `sdk` (every other span, through the SDK's
 * BatchSpanProcessor): exported and failed are counted by wrapping its exporter
 * (`countingExporter`); dropped through the processor's own self-observability hook
 * (`sdkProcessorObserver`), the only place the SDK reports a span it drops on a full queue.
 */
import {
  type Counter,
  createNoopMeter,
  type Meter,
  type MeterProvider,
  type MetricAttributes,
  type MetricOptions,
  type ObservableCallback,
  type ObservableUpDownCounter,
  type UpDownCounter,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export type TracingPipeline = 'message' | 'sdk';
export const TRACING_PIPELINES: readonly TracingPipeline[] = ['message', 'sdk'];

export interface SpanCounts {
  /** Spans in export requests the collector accepted. */
  exported: number;
  /** Spans dropped because the export queue was full. */
  dropped: number;
  /** Spans in export requests that failed (collector down or refusing), after the transport's retries. */
  failed: number;
}

/** Since the process started, per pipeline. */
export const spanCounts: Record<TracingPipeline, SpanCounts> = {
  message: { exported: 0, dropped: 0, failed: 0 },
  sdk: { exported: 0, dropped: 0, failed: 0 },
};

/** An export queue as it is now. */
export interface QueueState {
  /** Spans waiting to be exported. */
  size(): number;
  /** The most it holds: a span that ends when it is full is dropped. */
  capacity(): number;
}

/** What a running SDK reports; undefined while tracing is off. */
export interface TracingLive {
  /** Share of new traces sampled (callers' sampled traceparents are followed whatever it is). */
  sampleRatio: number;
  queues: Record<TracingPipeline, QueueState>;
}

let live: TracingLive | undefined;

/** Called by tracing-sdk.ts when the SDK starts (the state) and stops (undefined). */
export function setTracingLive(state: TracingLive | undefined): void {
  live = state;
}

export function tracingLive(): TracingLive | undefined {
  return live;
}

/** `exporter`, counting the spans of each export by its result. */
export function countingExporter(exporter: SpanExporter, counts: SpanCounts): SpanExporter {
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        // ExportResultCode.SUCCESS (@opentelemetry/core, not a dependency of ours) is 0.
        if (Number(result.code) === 0) counts.exported += spans.length;
        else counts.failed += spans.length;
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

// The SDK's span-processor self-observability (`selfObsMeterProvider`, @opentelemetry/sdk-trace
// SpanProcessorMetrics; semantic conventions "OpenTelemetry SDK metrics", experimental).
const PROCESSED = 'otel.sdk.processor.span.processed';
const QUEUE_SIZE = 'otel.sdk.processor.span.queue.size';
const QUEUE_CAPACITY = 'otel.sdk.processor.span.queue.capacity';
/** `error.type` of a span the processor dropped because its queue was full. */
const QUEUE_FULL = 'queue_full';

/**
 * A MeterProvider for the batch processor's `selfObsMeterProvider` option that keeps only what
 * the SDK offers nowhere else: spans dropped on a full queue, the queue's size and capacity.
 * Every other instrument is the API's no-op. Exported and failed spans are left to
 * `countingExporter` (the exporter interface is stable; this option is marked experimental, and
 * src/core/tracing-metrics.test.ts fails if an SDK upgrade stops reporting drops through it).
 */
export function sdkProcessorObserver(counts: SpanCounts): MeterProvider & QueueState {
  const noop = createNoopMeter();
  const queueCallbacks = new Set<ObservableCallback>();
  let queueCapacity = 0;
  const meter: Meter = {
    createCounter<A extends MetricAttributes>(name: string, options?: MetricOptions): Counter<A> {
      if (name !== PROCESSED) return noop.createCounter(name, options);
      return {
        add(n: number, attributes?: A) {
          if (attributes?.['error.type'] === QUEUE_FULL) counts.dropped += n;
        },
      };
    },
    createUpDownCounter<A extends MetricAttributes>(name: string, options?: MetricOptions): UpDownCounter<A> {
      if (name !== QUEUE_CAPACITY) return noop.createUpDownCounter(name, options);
      return {
        add(n: number) {
          queueCapacity += n;
        },
      };
    },
    createObservableUpDownCounter<A extends MetricAttributes>(
      name: string,
      options?: MetricOptions,
    ): ObservableUpDownCounter<A> {
      if (name !== QUEUE_SIZE) return noop.createObservableUpDownCounter(name, options);
      return {
        addCallback(cb) {
          queueCallbacks.add(cb);
        },
        removeCallback(cb) {
          queueCallbacks.delete(cb);
        },
      };
    },
    createGauge: (name, options) => noop.createGauge(name, options),
    createHistogram: (name, options) => noop.createHistogram(name, options),
    createObservableGauge: (name, options) => noop.createObservableGauge(name, options),
    createObservableCounter: (name, options) => noop.createObservableCounter(name, options),
    addBatchObservableCallback: (cb, observables) => noop.addBatchObservableCallback(cb, observables),
    removeBatchObservableCallback: (cb, observables) => noop.removeBatchObservableCallback(cb, observables),
  };
  return {
    getMeter: () => meter,
    size() {
      // The processor's callback observes its queue's length synchronously.
      let n = 0;
      for (const cb of queueCallbacks)
        void cb({
          observe: (v: number) => {
            n += v;
          },
        });
      return n;
    },
    capacity: () => queueCapacity,
  };
}
