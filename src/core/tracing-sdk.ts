/**
 * The OpenTelemetry SDK behind the tracing seam (tracing.ts): a Node tracer provider (context that
 * follows awaits only for sampled work, tracing-context.ts; W3C trace-context propagation), a
 * batch span processor and the OTLP/HTTP protobuf exporter; per-message spans are encoded and
 * batched by tracing-message-export.ts instead, sent through the same OTLP/HTTP transport and
 * settings. main.ts starts it only when an endpoint is configured; the SDK packages are loaded
 * here on demand, so a platform without tracing never loads them.
 *
 * Standard variables are honoured by the SDK itself: OTEL_EXPORTER_OTLP_ENDPOINT /
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG) (when no ratio is given), OTEL_BSP_*.
 */

import type { DiagLogger } from '@opentelemetry/api';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import type { Logger } from './logger.js';
import { SampledContextManager } from './tracing-context.js';
import { type BatchSender, type EncodedBatch, MessageSpanExporter } from './tracing-message-export.js';
import { setMessageSpanSink } from './tracing-message-span.js';
import { countingExporter, sdkProcessorObserver, setTracingLive, spanCounts } from './tracing-stats.js';
import { PRESAMPLED, setMessageTracing } from './tracing.js';

/** The root ratio the standard variables ask for (OTEL_TRACES_SAMPLER / _ARG); 1 when unset. */
export function envSampleRatio(env: NodeJS.ProcessEnv): number {
  const s = env.OTEL_TRACES_SAMPLER;
  if (s === 'always_off' || s === 'parentbased_always_off') return 0;
  if (s === 'traceidratio' || s === 'parentbased_traceidratio') {
    const r = Number(env.OTEL_TRACES_SAMPLER_ARG ?? 1);
    return Number.isFinite(r) && r >= 0 && r <= 1 ? r : 1;
  }
  return 1;
}

export interface TracingOptions {
  /** Collector base URL; spans go to `<endpoint>/v1/traces`. Unset: the OTEL_* variables decide. */
  endpoint?: string;
  /** Share of new traces sampled (parent-based: a caller's sampled traceparent is followed). */
  sampleRatio?: number;
  /** `service.instance.id` (the node id). */
  nodeId?: string;
  /** Default `service.name` when OTEL_SERVICE_NAME is unset. */
  serviceName?: string;
  /**
   * Where OpenTelemetry's own warnings and errors go (its `diag` channel: exports that failed, spans
   * dropped, bad OTEL_* values), as `component: "otel"` lines. Unset: they are not logged.
   */
  log?: Logger;
}

/** OpenTelemetry's `diag` messages as the platform's log lines (warnings and errors only). */
function diagToLog(log: Logger): DiagLogger {
  const line =
    (level: 'error' | 'warn' | 'info' | 'debug' | 'trace') =>
    (message: string, ...args: unknown[]): void => {
      const extra = args.length === 0 ? {} : { args: args.map((a) => (a instanceof Error ? a.message : a)) };
      log[level]({ component: 'otel', ...extra }, message);
    };
  return {
    error: line('error'),
    warn: line('warn'),
    info: line('info'),
    debug: line('debug'),
    verbose: line('trace'),
  };
}

export interface Tracing {
  /** Export every span ended so far. */
  flush(): Promise<void>;
  /** Flush and stop exporting; the API falls back to no-op spans. */
  shutdown(): Promise<void>;
  /** Whether a sampled context is in flight, so contexts follow awaits (and Node's async hooks are on). */
  propagating(): boolean;
}

/** Whether the configuration or the environment asks for traces. */
export function tracingWanted(endpoint: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    endpoint !== undefined ||
    env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined ||
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined
  );
}

/**
 * The batch processor's limits, where OTEL_BSP_* does not set them: batches of up to 2048 spans
 * (the SDK's default is 512), so at broker rates the per-request work of an export (HTTP request
 * and response, the serializer's cold start) is spread over four times as many spans; the queue
 * holds four batches. The delay stays the SDK's 5 s: at low rates (commands) a shorter one only
 * adds exports.
 */
export function batchLimits(env: NodeJS.ProcessEnv): { maxExportBatchSize?: number; maxQueueSize?: number } {
  return {
    ...(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE === undefined ? { maxExportBatchSize: 2048 } : {}),
    ...(env.OTEL_BSP_MAX_QUEUE_SIZE === undefined ? { maxQueueSize: 8192 } : {}),
  };
}

/** The batch settings the SDK's processor gets (`batchLimits`, else OTEL_BSP_*, else its defaults). */
function messageBatchOptions(env: NodeJS.ProcessEnv): {
  maxExportBatchSize: number;
  maxQueueSize: number;
  scheduledDelayMillis: number;
} {
  const num = (name: string, dflt: number): number => {
    const v = Number(env[name]);
    return env[name] !== undefined && Number.isFinite(v) && v > 0 ? v : dflt;
  };
  const limits = batchLimits(env);
  return {
    maxExportBatchSize: limits.maxExportBatchSize ?? num('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512),
    maxQueueSize: limits.maxQueueSize ?? num('OTEL_BSP_MAX_QUEUE_SIZE', 2048),
    scheduledDelayMillis: num('OTEL_BSP_SCHEDULE_DELAY', 5000),
  };
}

export async function startTracing(opts: TracingOptions = {}): Promise<Tracing> {
  const [{ NodeTracerProvider }, base, { OTLPTraceExporter }, resources, api, http] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-proto'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/api'),
    import('@opentelemetry/otlp-exporter-base/node-http'),
  ]);
  if (opts.log)
    api.diag.setLogger(diagToLog(opts.log), {
      logLevel: api.DiagLogLevel.WARN,
      suppressOverrideMessage: true,
    });
  const exporterConfig =
    opts.endpoint === undefined ? {} : { url: `${opts.endpoint.replace(/\/+$/, '')}/v1/traces` };
  const exporter = new OTLPTraceExporter(exporterConfig);
  const resource = resources
    .resourceFromAttributes({
      'service.name': opts.serviceName ?? 'tsunagu',
      ...(opts.nodeId === undefined ? {} : { 'service.instance.id': opts.nodeId }),
    })
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults above.
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  // Parent-based; new roots kept at `ratio`, except per-message roots the platform already drew
  // (tracing.ts `messageParent`: one draw per message, not a second one here).
  const ratio = opts.sampleRatio ?? envSampleRatio(process.env);
  const ratioSampler = new base.TraceIdRatioBasedSampler(ratio);
  const root: Sampler = {
    shouldSample(ctx, traceId) {
      if (ctx.getValue(PRESAMPLED) === true) return { decision: base.SamplingDecision.RECORD_AND_SAMPLED };
      return ratioSampler.shouldSample(ctx, traceId);
    },
    toString: () => `TsunaguRoot{${ratioSampler.toString()}}`,
  };
  // Not the SDK's default AsyncLocalStorage manager: that one keeps Node's async and promise hooks
  // on for every promise of the process once anything is traced (tracing-context.ts).
  const contextManager = new SampledContextManager();
  // Its health on /metrics (tracing-stats.ts): spans per export result from the exporter, drops
  // and the queue from the processor's self-observability hook. That option belongs to
  // @opentelemetry/sdk-trace's processor, which this one extends and hands its config to; its
  // BufferConfig type does not list it.
  const observer = sdkProcessorObserver(spanCounts.sdk);
  const processorConfig = { ...batchLimits(process.env), selfObsMeterProvider: observer };
  const processor = new base.BatchSpanProcessor(countingExporter(exporter, spanCounts.sdk), processorConfig);
  const provider = new NodeTracerProvider({
    resource,
    sampler: new base.ParentBasedSampler({ root }),
    spanProcessors: [processor],
  });
  provider.register({ contextManager });
  // Per-message spans skip the Tracer and the batch processor: encoded when they end, sent through
  // the same transport and settings as the SDK's exporter (the same calls as OTLPTraceExporter's
  // constructor, with a serializer that only wraps the bytes; tracing-message-export.ts).
  await resource.waitForAsyncAttributes?.();
  const sender: BatchSender = http.createOtlpHttpExportDelegate<EncodedBatch, unknown>(
    http.convertLegacyHttpOptions(exporterConfig, 'TRACES', 'v1/traces', {
      'Content-Type': 'application/x-protobuf',
    }),
    { serializeRequest: (b) => b.request, deserializeResponse: () => ({}) },
    'tsunagu_message_span_exporter',
    { name: 'span', countItems: (b) => b.count },
    undefined,
  );
  const messages = new MessageSpanExporter(sender, {
    resource: resource.attributes,
    ...messageBatchOptions(process.env),
    stats: spanCounts.message,
  });
  setMessageSpanSink(messages);
  setMessageTracing(true, ratio);
  setTracingLive({ sampleRatio: ratio, queues: { message: messages, sdk: observer } });
  return {
    flush: async () => {
      // Both settle before it returns (the SDK's rejects when an export failed; Promise.all would
      // return then, with message spans still in flight).
      const [sdk] = await Promise.allSettled([provider.forceFlush(), messages.forceFlush()]);
      if (sdk.status === 'rejected') throw sdk.reason;
    },
    propagating: () => contextManager.propagating(),
    async shutdown() {
      setTracingLive(undefined);
      setMessageTracing(false);
      setMessageSpanSink(undefined);
      await Promise.all([provider.shutdown(), messages.shutdown()]);
      api.trace.disable();
      api.context.disable();
      api.propagation.disable();
      if (opts.log) api.diag.disable();
      setMessageTracing(false); // again: forgets a tracer looked up while the provider shut down
    },
  };
}
