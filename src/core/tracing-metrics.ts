/**
 * Tracing's own health on /metrics (docs/observability.md, "Is tracing healthy?"), read from the
 * process-wide state in tracing-stats.ts at scrape time.
 *
 * Registered always, tracing on or off: every series exists from the first scrape at 0, so an
 * alert on `increase(tsunagu_tracing_spans_total{result="dropped"}[10m]) > 0` or a dashboard
 * panel never meets a missing series (Prometheus' advice: initialise the label values you know),
 * and a node that starts tracing later keeps the same series. `tsunagu_tracing_enabled` tells
 * "off" from "on and idle".
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { spanCounts, TRACING_PIPELINES, tracingLive } from './tracing-stats.js';

const RESULTS = ['exported', 'dropped', 'failed'] as const;

export function registerTracingMetrics(metrics: Registry): void {
  const registers = [metrics];
  new Counter({
    name: 'tsunagu_tracing_spans_total',
    help:
      'Sampled spans by export pipeline (message: per-message MQTT spans; sdk: every other span) and result: ' +
      'exported (collector accepted), failed (export request failed: collector down or refusing), ' +
      'dropped (export queue full)',
    labelNames: ['pipeline', 'result'],
    registers,
    collect() {
      this.reset();
      for (const pipeline of TRACING_PIPELINES)
        for (const result of RESULTS) this.inc({ pipeline, result }, spanCounts[pipeline][result]);
    },
  });
  new Gauge({
    name: 'tsunagu_tracing_enabled',
    help: 'Whether spans are exported to an OTLP collector (1) or tracing is off (0)',
    registers,
    collect() {
      this.set(tracingLive() === undefined ? 0 : 1);
    },
  });
  new Gauge({
    name: 'tsunagu_tracing_sample_ratio',
    help: 'Share of new traces sampled (sampled callers are followed whatever it is); 0 when tracing is off',
    registers,
    collect() {
      this.set(tracingLive()?.sampleRatio ?? 0);
    },
  });
  new Gauge({
    name: 'tsunagu_tracing_queue_size',
    help: 'Spans waiting for export, by pipeline; spans are dropped while it is at tsunagu_tracing_queue_capacity',
    labelNames: ['pipeline'],
    registers,
    collect() {
      const live = tracingLive();
      for (const pipeline of TRACING_PIPELINES) this.set({ pipeline }, live?.queues[pipeline].size() ?? 0);
    },
  });
  new Gauge({
    name: 'tsunagu_tracing_queue_capacity',
    help: 'Spans the export queue holds at most, by pipeline (0 when tracing is off)',
    labelNames: ['pipeline'],
    registers,
    collect() {
      const live = tracingLive();
      for (const pipeline of TRACING_PIPELINES)
        this.set({ pipeline }, live?.queues[pipeline].capacity() ?? 0);
    },
  });
}
