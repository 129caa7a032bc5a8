/**
 * Health's fleet-state metrics (docs/observability.md): deadlines armed, devices out of service by
 * reason class and service-state changes. Reasons are reduced to their class (`hardware_error:E42`
 * → `hardware_error`, `manual:<label>` → `manual`) so the label set stays small whatever codes and
 * labels operators use; no per-device labels.
 */
import { Counter, Gauge } from 'prom-client';
import type { ModuleContext } from '../platform/index.js';
import type { HealthEngine } from './engine.js';

const reasonClass = (reason: string): string => reason.split(':')[0]!;

export function registerStateMetrics(ctx: ModuleContext, engine: HealthEngine): () => void {
  const registers = [ctx.metrics];
  new Gauge({
    name: 'tsunagu_health_deadlines_armed',
    help: 'Devices this node judges that have a heartbeat deadline (or other check) pending',
    registers,
    collect() {
      let n = 0;
      for (const d of engine.devices.values()) if (d.checkAt !== Infinity) n++;
      this.set(n);
    },
  });
  new Gauge({
    name: 'tsunagu_health_out_of_service_devices',
    help: 'Devices out of service by reason class (heartbeat_lost, hardware_error, flapping, manual…); a device with two reasons counts under both',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      const counts = new Map<string, number>([['heartbeat_lost', 0]]);
      for (const d of engine.devices.values())
        if (d.state === 'out_of_service')
          for (const c of new Set(d.reasons.map(reasonClass))) counts.set(c, (counts.get(c) ?? 0) + 1);
      for (const [reason, n] of counts) this.set({ reason }, n);
    },
  });
  const changes = new Counter({
    name: 'tsunagu_health_service_state_changes_total',
    help: 'Service-state changes by new state and the class of the first reason (none when back in service)',
    labelNames: ['to', 'reason'],
    registers,
  });
  return ctx.bus.on('service-state.changed', (e) =>
    changes.inc({ to: e.to, reason: e.reasons[0] === undefined ? 'none' : reasonClass(e.reasons[0]) }),
  );
}
