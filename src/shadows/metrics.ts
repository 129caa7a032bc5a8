/** Prometheus metrics of the shadows module (docs/observability.md): committed changes by who made them. */
import { Counter, type Registry } from 'prom-client';
import type { EventBus } from '../core/index.js';

export function registerShadowMetrics(registry: Registry, bus: EventBus): () => void {
  const updates = new Counter({
    name: 'tsunagu_shadow_updates_total',
    help: 'Shadow changes committed, by the kind of actor (device, token, user, rule, system)',
    labelNames: ['actor'],
    registers: [registry],
  });
  return bus.on('shadow.updated', (e) => updates.inc({ actor: e.actor.kind }));
}
