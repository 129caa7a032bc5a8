/**
 * Persisting and announcing alert transitions decided by the engine (service.ts). One node: the
 * write is queued and the event emitted at once, as decided. A cluster (cluster.ts): the write is
 * conditional — a unique open episode per (SLO, tier), resolve only what is still open, flip the
 * budget flag only if it differs — and the event is emitted only when this node's write applied,
 * so work in flight across an ownership hand-over cannot announce a transition twice.
 */
import type { EventBus } from '../core/index.js';
import type { AlertRecord, SloStore } from './slo-store.js';
import type { SloDefinition } from './types.js';

export interface AlertHolder {
  def: SloDefinition;
  firing: Map<string, AlertRecord>;
  exhausted: boolean;
}

export interface AlertWriterDeps {
  store: SloStore;
  bus: EventBus;
  /** Queue a write on the engine's persistence chain (in order; errors logged there). */
  enqueue: (fn: () => Promise<void>) => void;
  /** Conditional writes, events after them (a cluster) or not (one node). */
  shared: () => boolean;
}

export class AlertWriter {
  constructor(private readonly d: AlertWriterDeps) {}

  /** A tier starts firing: `rec` goes into `e.firing` now; its id is filled in once stored. */
  open(e: AlertHolder, rec: AlertRecord, burn: number, now: number): void {
    e.firing.set(rec.tier, rec);
    const { id: _id, resolvedAt: _r, ...fields } = rec;
    if (!this.d.shared()) {
      this.d.enqueue(async () => {
        rec.id = (await this.d.store.openAlert(fields)).id;
      });
      this.emit(e, rec, 'firing', burn, now);
      return;
    }
    this.d.enqueue(async () => {
      const opened = await this.d.store.openAlertIfNone(fields);
      if (opened) {
        rec.id = opened.id;
        this.emit(e, rec, 'firing', burn, now);
        return;
      }
      // Another node opened it first: adopt that episode, announce nothing.
      const open = await this.d.store.listAlerts({ state: 'firing', sloId: rec.sloId, limit: 100 });
      Object.assign(rec, open.find((a) => a.tier === rec.tier) ?? {});
    });
  }

  resolve(e: AlertHolder, tier: string, rec: AlertRecord, now: number, burn: number): void {
    e.firing.delete(tier);
    rec.resolvedAt = now;
    const notify = e.def.alerting.tiers.find((t) => t.name === tier)?.notifyResolved !== false;
    const shared = this.d.shared();
    this.d.enqueue(async () => {
      const applied = await this.d.store.resolveAlert(rec.id, now);
      if (shared && applied && notify) this.emit(e, rec, 'resolved', burn, now);
    });
    if (!shared && notify) this.emit(e, rec, 'resolved', burn, now);
  }

  budget(e: AlertHolder, exhausted: boolean, now: number): void {
    e.exhausted = exhausted;
    const name = e.def.name;
    const notify = exhausted && e.def.alerting.budgetExhausted;
    const emit = (): void =>
      this.d.bus.emit('slo.budget-exhausted', { sloId: name, sloName: e.def.displayName ?? name, at: now });
    const shared = this.d.shared();
    this.d.enqueue(async () => {
      const changed = await this.d.store.setBudgetExhausted(name, exhausted, now);
      if (shared && changed && notify) emit();
    });
    if (!shared && notify) emit();
  }

  private emit(
    e: AlertHolder,
    rec: AlertRecord,
    state: 'firing' | 'resolved',
    burnRate: number,
    at: number,
  ): void {
    this.d.bus.emit('slo.alert', {
      sloId: e.def.name,
      sloName: e.def.displayName ?? e.def.name,
      tier: rec.tier,
      severity: rec.severity,
      state,
      burnRate,
      at,
    });
  }
}
