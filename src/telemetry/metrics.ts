/** Prometheus metrics of the telemetry module (registered on ctx.metrics). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface TelemetryMetrics {
  messages: Counter<'kind' | 'decoded'>;
  /** Per decoder and reason; which devices fail is in their decode_error events (no per-device series). */
  decodeErrors: Counter<'decoder' | 'reason'>;
  /** One store transaction per ingest batch. */
  batchSeconds: Histogram;
  pointsWritten: Counter;
  eventsWritten: Counter;
  dropped: Counter<'transport' | 'reason'>;
  storeErrors: Counter;
  retentionDeleted: Counter<'table'>;
}

export function createTelemetryMetrics(registry: Registry, queueSize: () => number): TelemetryMetrics {
  const registers = [registry];
  new Gauge({
    name: 'tsunagu_telemetry_queue_size',
    help: 'Points, events and sign-of-life rows waiting to be written',
    registers,
    collect() {
      this.set(queueSize());
    },
  });
  return {
    messages: new Counter({
      name: 'tsunagu_telemetry_messages_total',
      help: 'Device messages consumed',
      labelNames: ['kind', 'decoded'],
      registers,
    }),
    decodeErrors: new Counter({
      name: 'tsunagu_telemetry_decode_errors_total',
      help: 'Messages kept as decode_error events, by decoder and reason (missing_decoder, broken_decoder, undecodable, rejected)',
      labelNames: ['decoder', 'reason'],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'tsunagu_telemetry_batch_write_seconds',
      help: 'Time to write one ingest batch to the store (one transaction)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    pointsWritten: new Counter({
      name: 'tsunagu_telemetry_points_written_total',
      help: 'Metric points persisted',
      registers,
    }),
    eventsWritten: new Counter({
      name: 'tsunagu_telemetry_events_written_total',
      help: 'Device events persisted',
      registers,
    }),
    dropped: new Counter({
      name: 'tsunagu_telemetry_dropped_total',
      help: 'Messages refused because the ingest queue was over its hard limit (QoS 0 and telegram excess)',
      labelNames: ['transport', 'reason'],
      registers,
    }),
    storeErrors: new Counter({
      name: 'tsunagu_telemetry_store_errors_total',
      help: 'Failed store batch writes (each attempt)',
      registers,
    }),
    retentionDeleted: new Counter({
      name: 'tsunagu_telemetry_retention_deleted_total',
      help: 'Rows deleted by retention',
      labelNames: ['table'],
      registers,
    }),
  };
}
