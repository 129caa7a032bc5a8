/** Alarm metrics: active alarms by source and severity (read from the store, so fleet-wide), raises. */
import { Counter, Gauge, type Registry } from 'prom-client';
import { ALARM_SOURCES, SEVERITIES } from './alarms-store.js';
import type { AlarmsService } from './service.js';

export function registerAlarmMetrics(metrics: Registry, alarms: AlarmsService): () => void {
  new Gauge({
    name: 'tsunagu_alarms_active',
    help: 'Active alarms (ACTIVE_UNACK or ACTIVE_ACK) by source and severity, fleet-wide',
    labelNames: ['source', 'severity'],
    registers: [metrics],
    async collect() {
      const counts = await alarms.countActive();
      // Every pair is exported (0 when none), so a cleared alarm's series drops to 0, not away.
      for (const source of ALARM_SOURCES)
        for (const severity of SEVERITIES)
          this.set(
            { source, severity },
            counts.find((c) => c.source === source && c.severity === severity)?.n ?? 0,
          );
    },
  });
  const changes = new Counter({
    name: 'tsunagu_alarms_changes_total',
    help: 'Alarm changes on this node by source and change (raised, updated, acknowledged, cleared)',
    labelNames: ['source', 'change'],
    registers: [metrics],
  });
  return alarms.onChange(({ alarm, change }) => changes.inc({ source: alarm.source, change }));
}
