/**
 * Which alert tiers of one SLO open or resolve at an evaluation (service.ts persists and emits them).
 * Updates the entry's `alertAfter` holds; `firing` itself changes only when the writer records.
 */
import { evaluateTiers } from './alerts.js';
import { MINUTE } from './budget.js';
import type { Entry } from './engine-entry.js';
import type { AlertRecord } from './slo-store.js';

export interface TierChange {
  tier: string;
  state: 'firing' | 'resolved';
  /** The alert opened (firing) or the one being resolved. */
  record: AlertRecord;
  /** Long-window burn when firing, short-window burn when resolving. */
  burnRate: number;
}

export function tierChanges(e: Entry, now: number): TierChange[] {
  const end = Math.floor(now / MINUTE);
  const changes: TierChange[] = [];
  for (const t of evaluateTiers(e.def, e.series, now, (tier) => e.firing.has(tier))) {
    const current = e.firing.get(t.tier.name);
    let fire = t.firing;
    if (!current) {
      // OpenSLO alertAfter: the condition must have held for that many minutes in a row.
      if (!t.conditionMet) e.holding.delete(t.tier.name);
      else {
        const since = e.holding.get(t.tier.name) ?? end;
        e.holding.set(t.tier.name, since);
        fire = end - since >= (t.tier.alertAfterMinutes ?? 0);
        if (fire) e.holding.delete(t.tier.name);
      }
    }
    if (fire && !current) {
      const record: AlertRecord = {
        id: 0,
        sloId: e.def.name,
        sloName: e.def.displayName ?? e.def.name,
        tier: t.tier.name,
        severity: t.tier.severity,
        firedAt: now,
        resolvedAt: null,
        burnRate: t.longBurn,
        threshold: t.threshold,
      };
      changes.push({ tier: t.tier.name, state: 'firing', record, burnRate: t.longBurn });
    } else if (!fire && current) {
      changes.push({ tier: t.tier.name, state: 'resolved', record: current, burnRate: t.shortBurn });
    }
  }
  return changes;
}
