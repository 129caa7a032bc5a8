/**
 * Multiwindow, multi-burn-rate alerting (Google SRE Workbook, "Alerting on SLOs", approach 6): a
 * tier fires when the burn rate over its long window AND over its short window both exceed the
 * threshold, and resolves as soon as the short window no longer does (the short window is what
 * makes the reset fast). A tier may only fire once the long window holds `minEvents` events
 * (low-traffic protection). Pure logic; service.ts persists and emits the transitions.
 */
import { burnRate, tierThreshold, tierThresholdFraction, windowAt } from './budget.js';
import { allowedError, burnExceeds } from './fraction.js';
import type { MinuteSeries } from './series.js';
import type { AlertTier, SloDefinition } from './types.js';

export interface TierEvaluation {
  tier: AlertTier;
  threshold: number;
  longBurn: number;
  shortBurn: number;
  longTotal: number;
  /** Long and short burn over the threshold and enough events: what must hold `alertAfter` long. */
  conditionMet: boolean;
  /** Whether the tier should be firing after this evaluation (when alertAfter is 0). */
  firing: boolean;
}

export function evaluateTiers(
  def: SloDefinition,
  series: MinuteSeries,
  now: number,
  isFiring: (tier: string) => boolean,
): TierEvaluation[] {
  const w = windowAt(def.window, now);
  const allowed = allowedError(def.target);
  return def.alerting.tiers.map((tier) => {
    const exact = tierThresholdFraction(tier, w.length);
    const threshold = tierThreshold(tier, w.length);
    const long = series.units(w.end - tier.longMinutes, w.end);
    const short = series.units(w.end - tier.shortMinutes, w.end);
    const longBurn = burnRate(long, def.target);
    const shortBurn = burnRate(short, def.target);
    // Decided on exact fractions: a burn of exactly the threshold does not exceed it.
    const orEqual = tier.op === 'gte';
    const longOver = burnExceeds(long.total - long.good, long.total, allowed, exact, orEqual);
    const shortOver = burnExceeds(short.total - short.good, short.total, allowed, exact, orEqual);
    const was = isFiring(tier.name);
    const conditionMet = longOver && shortOver && long.total >= def.alerting.minEvents;
    const firing = was ? shortOver : conditionMet;
    return { tier, threshold, longBurn, shortBurn, longTotal: long.total, conditionMet, firing };
  });
}
