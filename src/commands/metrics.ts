/**
 * Prometheus metrics of the commands module (docs/observability.md), from `command.finished` (the
 * node whose store write won emits it, so a cluster counts each command once). Labels are the
 * command name and outcome: bounded by the models' command sets, never per device.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EventBus } from '../core/index.js';

// A scooter unlock answers in well under a second; a boiler set-point confirmed by reported state
// can take a minute: buckets span both.
const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export function registerCommandMetrics(registry: Registry, bus: EventBus, held: () => number): () => void {
  const registers = [registry];
  const finished = new Counter({
    name: 'tsunagu_commands_finished_total',
    help: 'Commands that reached a final outcome, by command name and outcome (succeeded, failed, timed_out, expired, rejected)',
    labelNames: ['name', 'outcome'],
    registers,
  });
  const reply = new Histogram({
    name: 'tsunagu_command_reply_latency_seconds',
    help: 'Time from a command being requested to the device replying, by command name',
    labelNames: ['name'],
    buckets: BUCKETS,
    registers,
  });
  const duration = new Histogram({
    name: 'tsunagu_command_duration_seconds',
    help: 'Time from a command being requested to its final outcome, by command name and outcome',
    labelNames: ['name', 'outcome'],
    buckets: BUCKETS,
    registers,
  });
  new Gauge({
    name: 'tsunagu_commands_pending',
    help: 'Commands this node holds that have no outcome yet (queued, sent or acknowledged)',
    registers,
    collect() {
      this.set(held());
    },
  });
  return bus.on('command.finished', (e) => {
    finished.inc({ name: e.name, outcome: e.status });
    duration.observe({ name: e.name, outcome: e.status }, Math.max(0, e.finishedAt - e.requestedAt) / 1000);
    if (e.replyLatencyMs !== undefined) reply.observe({ name: e.name }, e.replyLatencyMs / 1000);
  });
}
