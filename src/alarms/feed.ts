/**
 * What raises and clears alarms by itself: the bus events health and SLOs already emit (the same
 * ones notify routes). Each event is emitted once fleet-wide, on the node that made the change, so
 * subscribing to the local bus raises each alarm once. Work for one alarm key runs in order (a
 * clear never overtakes the raise before it); a failed write is logged, not retried (the bus is
 * in memory: docs/alarms.md, "Limits").
 */
import type { Actor, EventBus, Logger, Severity, TsunaguEvents } from '../core/index.js';
import type { AlarmSource } from './alarms-store.js';
import { SYSTEM, type AlarmsService } from './service.js';

export const OUT_OF_SERVICE = 'out_of_service';
export const sloAlarmType = (tier: string): string => `burn_rate:${tier}`;

/** Who ended a condition: a person or token by name, the platform as `system`. */
export const byActor = (a: Actor): string =>
  a.kind === 'system' || a.kind === 'device' ? SYSTEM : (a.name ?? a.id);

export class AlarmFeed {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly alarms: AlarmsService,
    private readonly log: Logger,
  ) {}

  listen(bus: EventBus): void {
    this.unsubscribe.push(
      bus.on('service-state.changed', (e) => this.serviceState(e)),
      bus.on('slo.alert', (e) => this.sloAlert(e)),
    );
  }

  /** Resolves when every event taken in so far is written (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size) await Promise.all(this.chains.values());
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.idle();
  }

  private serviceState(e: TsunaguEvents['service-state.changed']): void {
    if (e.to === 'out_of_service') {
      const hardware = e.reasons.some((r) => r.startsWith('hardware_error'));
      const severity: Severity = hardware ? 'critical' : 'error';
      this.run('health', e.deviceId, OUT_OF_SERVICE, () =>
        this.alarms.raise({
          source: 'health',
          originator: e.deviceId,
          deviceId: e.deviceId,
          severity,
          type: OUT_OF_SERVICE,
          message: `${e.deviceId} out of service (${e.reasons.join(', ') || 'no reason given'})${e.note ? `: ${e.note}` : ''}`,
          at: e.at,
          details: {
            reasons: e.reasons,
            ...(e.model !== undefined ? { model: e.model } : {}),
            ...(e.note !== undefined ? { note: e.note } : {}),
          },
        }),
      );
    } else if (e.from === 'out_of_service')
      this.run('health', e.deviceId, OUT_OF_SERVICE, () =>
        this.alarms.clearCondition('health', e.deviceId, OUT_OF_SERVICE, byActor(e.actor)),
      );
  }

  private sloAlert(e: TsunaguEvents['slo.alert']): void {
    const type = sloAlarmType(e.tier);
    if (e.state === 'firing')
      this.run('slo', e.sloId, type, () =>
        this.alarms.raise({
          source: 'slo',
          originator: e.sloId,
          sloId: e.sloId,
          severity: e.severity === 'page' ? 'critical' : 'warning',
          type,
          message: `SLO ${e.sloName}: ${e.tier} burn-rate alert (burn rate ${e.burnRate.toFixed(1)})`,
          at: e.at,
          details: { tier: e.tier, burnRate: e.burnRate, alertSeverity: e.severity },
        }),
      );
    else this.run('slo', e.sloId, type, () => this.alarms.clearCondition('slo', e.sloId, type));
  }

  private run(source: AlarmSource, originator: string, type: string, work: () => Promise<unknown>): void {
    const key = JSON.stringify([source, originator, type]);
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev
      .then(work)
      .then(
        () => undefined,
        (err: unknown) =>
          this.log.error({ err, source, originator, type }, 'alarms: writing an alarm failed'),
      )
      .finally(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    this.chains.set(key, next);
  }
}
