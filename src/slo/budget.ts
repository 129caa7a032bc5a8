/**
 * Error-budget arithmetic over a MinuteSeries: SLI, budget remaining, burn rates, forecast. Windows
 * are made of complete minutes: at time `now` the newest minute counted is the one before
 * floor(now / 60 s); the current minute counts once it completes (that is also when alerts are
 * evaluated).
 */
import { calendarPeriod } from './calendar.js';
import { allowedError, burnOf, decimalFraction, mul, type Fraction } from './fraction.js';
import type { MinuteSeries, Sums } from './series.js';
import { BURN_WINDOWS, type AlertTier, type SloDefinition, type SloWindow } from './types.js';

export const MINUTE = 60_000;

/** [start, end) in minutes of the SLO window at `now`, and its nominal length in minutes. */
export function windowAt(window: SloWindow, now: number): { start: number; end: number; length: number } {
  const end = Math.floor(now / MINUTE);
  if (window.kind === 'rolling') return { start: end - window.minutes, end, length: window.minutes };
  // The window that holds the last complete minute: at exactly 00:00 on the 1st, last month.
  const p = calendarPeriod(end * MINUTE - 1, window.unit, window.timeZone);
  const start = Math.floor(p.start / MINUTE);
  return { start, end, length: Math.ceil(p.end / MINUTE) - start };
}

/** Minutes of counters an SLO needs in memory: its window and the longest burn-rate look-back. */
export function horizonMinutes(def: SloDefinition): number {
  const win =
    def.window.kind === 'rolling'
      ? def.window.minutes
      : { week: 10_080 + 60, month: 44_640 + 60, quarter: 132_480 + 60 }[def.window.unit]; // + a DST hour
  const longest = Math.max(4320, ...def.alerting.tiers.map((t) => t.longMinutes));
  return Math.max(win, longest) + 1;
}

export function ratio(s: Sums): number | null {
  return s.total > 0 ? s.good / s.total : null;
}

/** 1 − bad / (total · (1 − target)); 1 when nothing was counted. */
export function budgetRemaining(s: Sums, target: number): number {
  if (s.total <= 0) return 1;
  return 1 - burnOf(s.total - s.good, s.total, allowedError(target));
}

/** Error rate divided by the allowed error rate; 0 without data. */
export function burnRate(s: Sums, target: number): number {
  return burnOf(s.total - s.good, s.total, allowedError(target));
}

/** The burn-rate threshold of a tier for a window of `windowMinutes` (SRE Workbook, table 5-8), exactly. */
export function tierThresholdFraction(tier: AlertTier, windowMinutes: number): Fraction {
  if (tier.burnRate !== undefined) return decimalFraction(tier.burnRate);
  return mul(decimalFraction(tier.budgetShare ?? 0), {
    num: BigInt(windowMinutes),
    den: BigInt(tier.longMinutes),
  });
}

export function tierThreshold(tier: AlertTier, windowMinutes: number): number {
  const f = tierThresholdFraction(tier, windowMinutes);
  return Number(f.num) / Number(f.den);
}

export interface SloStatus {
  name: string;
  /** The instant the window ends at (a minute boundary when the engine evaluated a closed minute). */
  at: number;
  /** Start (epoch ms) of the newest complete minute the values include: the minute they describe. */
  minute: number;
  /** When this status was computed (clock time; at or a little after the minute closed). */
  evaluatedAt: number;
  window: { start: number; end: number; lengthMinutes: number };
  /** good and total in budget units (events, or slices for timeslices) */
  good: number;
  total: number;
  sli: number | null;
  target: number;
  budgetRemaining: number;
  /** burn rate by window label (`5m` … `3d`) */
  burnRates: Record<string, number>;
  /** ms until the budget is gone at the 1h burn rate; null when not burning; 0 when exhausted */
  exhaustionInMs: number | null;
  /** Budget consumed from window start to each point, as a share of the window's whole budget. */
  budgetBurned: { at: number; consumed: number }[];
}

const BURN_DOWN_POINTS = 24;

export function computeStatus(
  def: SloDefinition,
  series: MinuteSeries,
  now: number,
  evaluatedAt = now,
): SloStatus {
  const w = windowAt(def.window, now);
  const s = series.units(w.start, w.end);
  const remaining = budgetRemaining(s, def.target);
  const burnRates: Record<string, number> = {};
  for (const bw of BURN_WINDOWS)
    burnRates[bw.label] = burnRate(series.units(w.end - bw.minutes, w.end), def.target);
  const hourly = burnRates['1h'] ?? 0;
  const exhaustionInMs =
    remaining <= 0 ? 0 : hourly > 0 ? Math.round(((remaining * w.length) / hourly) * MINUTE) : null;
  const allowed = s.total * (1 - def.target);
  const budgetBurned: { at: number; consumed: number }[] = [];
  const span = w.end - w.start;
  for (let i = 1; i <= BURN_DOWN_POINTS && span > 0; i++) {
    const m = w.start + Math.round((span * i) / BURN_DOWN_POINTS);
    const part = series.units(w.start, m);
    budgetBurned.push({ at: m * MINUTE, consumed: allowed > 0 ? (part.total - part.good) / allowed : 0 });
  }
  return {
    name: def.name,
    at: now,
    minute: (w.end - 1) * MINUTE,
    evaluatedAt,
    window: { start: w.start * MINUTE, end: w.end * MINUTE, lengthMinutes: w.length },
    good: s.good,
    total: s.total,
    sli: ratio(s),
    target: def.target,
    budgetRemaining: remaining,
    burnRates,
    exhaustionInMs,
    budgetBurned,
  };
}
