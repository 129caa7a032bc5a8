/**
 * Prometheus gauges per SLO, read from the last minute's evaluation (so a scrape costs a map walk,
 * not a computation): SLI ratio, error budget remaining, burn rate by window, firing tiers, and the
 * minute those values describe (its start, in Unix seconds), so a reader can tell how fresh they are.
 */
import { Gauge, type Registry } from 'prom-client';
import type { SloEngine } from './service.js';

export function registerSloMetrics(registry: Registry, engine: SloEngine): void {
  new Gauge({
    name: 'tsunagu_slo_sli_ratio',
    help: 'SLI over the SLO window (good / total; absent without data)',
    labelNames: ['slo'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { def, status } of engine.lastStatuses())
        if (status?.sli !== null && status?.sli !== undefined) this.set({ slo: def.name }, status.sli);
    },
  });
  new Gauge({
    name: 'tsunagu_slo_error_budget_remaining',
    help: 'Share of the error budget left in the SLO window (1 = untouched, below 0 = overspent)',
    labelNames: ['slo'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { def, status } of engine.lastStatuses())
        if (status) this.set({ slo: def.name }, status.budgetRemaining);
    },
  });
  new Gauge({
    name: 'tsunagu_slo_burn_rate',
    help: 'Error rate divided by the allowed error rate, over a look-back window',
    labelNames: ['slo', 'window'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { def, status } of engine.lastStatuses())
        if (status)
          for (const [window, v] of Object.entries(status.burnRates)) this.set({ slo: def.name, window }, v);
    },
  });
  new Gauge({
    name: 'tsunagu_slo_evaluated_minute_timestamp_seconds',
    help: "Start of the newest closed minute included in this SLO's other values (Unix seconds)",
    labelNames: ['slo'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { def, status } of engine.lastStatuses())
        if (status) this.set({ slo: def.name }, status.minute / 1000);
    },
  });
  new Gauge({
    name: 'tsunagu_slo_alert_firing',
    help: '1 while a burn-rate tier of the SLO is firing',
    labelNames: ['slo', 'tier', 'severity'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { def, firing: tiers } of engine.lastStatuses())
        for (const t of def.alerting.tiers)
          this.set({ slo: def.name, tier: t.name, severity: t.severity }, tiers.includes(t.name) ? 1 : 0);
    },
  });
}
