/**
 * A brute-force reference for the SLO engine, written apart from it (no prefix sums, no ring, no
 * calendar.ts, no floating-point decisions), for property tests that feed both the same bus events:
 *
 * - each event is classified by the plain rules of docs/slo.md and bucketed into the minute of its
 *   timestamp;
 * - every window is a plain sum over those minutes, ending at the evaluated minute;
 * - calendar periods are found by walking the wall clock (Intl) back and forth until the period
 *   changes, and thresholds use the period's length (Sloth/Pyrra: share × window / long window);
 * - alert decisions compare exact fractions (BigInt), and replay the tier state machine minute by
 *   minute: fire when long and short burn exceed the threshold and the long window holds
 *   `minEvents` units; resolve when the short burn no longer does.
 */
import type { TsunaguEvents } from '../core/index.js';
import type { AlertTier, SloDefinition } from './types.js';

const MINUTE = 60_000;

export interface Frac {
  num: bigint;
  den: bigint;
}

/** A decimal as written (0.999 → 999/1000). */
export function frac(x: number): Frac {
  const [int = '0', dec = ''] = x.toFixed(12).replace(/0+$/, '').split('.');
  return { num: BigInt(int + dec), den: 10n ** BigInt(dec.length) };
}

export type RefEvent =
  | { name: 'heartbeat.checked'; payload: TsunaguEvents['heartbeat.checked'] }
  | { name: 'command.finished'; payload: TsunaguEvents['command.finished'] }
  | { name: 'device.message'; payload: TsunaguEvents['device.message'] };

/** good / bad / not counted, by the rules in docs/slo.md (built-in event SLIs only). */
export function classify(def: SloDefinition, ev: RefEvent): boolean | undefined {
  const sli = def.sli;
  if (sli.selector.device !== undefined && ev.payload.deviceId !== sli.selector.device) return undefined;
  if (sli.type === 'heartbeat' && ev.name === 'heartbeat.checked') return ev.payload.received;
  if (sli.type === 'command-success' && ev.name === 'command.finished') {
    if (sli.command !== undefined && sli.command !== ev.payload.name) return undefined;
    return ev.payload.status === 'succeeded';
  }
  if (sli.type === 'decode-health' && ev.name === 'device.message') return ev.payload.decoded;
  if (sli.type === 'hardware-health' && ev.name === 'device.message')
    return ev.payload.hardwareError !== true;
  return undefined;
}

function stampOf(ev: RefEvent): number {
  return ev.name === 'command.finished' ? ev.payload.finishedAt : ev.payload.at;
}

// ---- calendar periods by walking the wall clock ------------------------------------------------

const fmt = new Map<string, Intl.DateTimeFormat>();
function periodKey(at: number, unit: 'week' | 'month' | 'quarter', tz: string): string {
  let f = fmt.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    fmt.set(tz, f);
  }
  const [y, m, d] = f.format(at).split('-').map(Number) as [number, number, number];
  if (unit === 'month') return `${y}-${m}`;
  if (unit === 'quarter') return `${y}-q${Math.ceil(m / 3)}`;
  const day = Date.UTC(y, m - 1, d);
  return `w${day - ((new Date(day).getUTCDay() + 6) % 7) * 86_400_000}`;
}

const periods = new Map<string, { start: number; length: number }>();

/** [start minute, length in minutes] of the calendar period holding minute `m`. */
function calendarPeriodOf(m: number, unit: 'week' | 'month' | 'quarter', tz: string) {
  const key = `${tz} ${periodKey(m * MINUTE, unit, tz)}`;
  let p = periods.get(key);
  if (!p) {
    const k = periodKey(m * MINUTE, unit, tz);
    let s = m;
    while (periodKey((s - 60) * MINUTE, unit, tz) === k) s -= 60;
    while (periodKey((s - 1) * MINUTE, unit, tz) === k) s -= 1;
    let e = m + 1;
    while (periodKey((e + 60) * MINUTE, unit, tz) === k) e += 60;
    while (periodKey(e * MINUTE, unit, tz) === k) e += 1;
    p = { start: s, length: e - s };
    periods.set(key, p);
  }
  return p;
}

/** The SLO window ending at minute `end` (exclusive) and the length its thresholds scale with. */
export function referenceWindow(def: SloDefinition, end: number): { start: number; length: number } {
  if (def.window.kind === 'rolling') return { start: end - def.window.minutes, length: def.window.minutes };
  return calendarPeriodOf(end - 1, def.window.unit, def.window.timeZone);
}

// ---- the reference -----------------------------------------------------------------------------

export interface ReferenceStatus {
  good: number;
  total: number;
  sli: number | null;
  budgetRemaining: number;
  burnRates: Record<string, number>;
}

export class SloReference {
  private readonly minutes = new Map<number, { good: number; total: number }>();
  private readonly firing = new Set<string>();
  private readonly holding = new Map<string, number>();
  private readonly allowed: Frac;

  constructor(readonly def: SloDefinition) {
    const t = frac(def.target);
    this.allowed = { num: t.den - t.num, den: t.den };
  }

  add(ev: RefEvent): void {
    const good = classify(this.def, ev);
    if (good === undefined) return;
    const m = Math.floor(stampOf(ev) / MINUTE);
    const c = this.minutes.get(m) ?? { good: 0, total: 0 };
    c.total++;
    if (good) c.good++;
    this.minutes.set(m, c);
  }

  /** Budget units over minutes [from, to): events, or good slices and slices with events. */
  sums(from: number, to: number): { good: number; total: number } {
    let good = 0;
    let total = 0;
    const b = this.def.budgeting;
    for (let m = from; m < to; m++) {
      const c = this.minutes.get(m);
      if (!c || c.total === 0) continue;
      if (b.method === 'occurrences') {
        good += c.good;
        total += c.total;
      } else {
        const st = frac(b.sliceTarget);
        total += 1;
        if (BigInt(c.good) * st.den >= BigInt(c.total) * st.num) good += 1;
      }
    }
    return { good, total };
  }

  private burn(s: { good: number; total: number }): Frac | null {
    if (s.total === 0) return null;
    return { num: BigInt(s.total - s.good) * this.allowed.den, den: BigInt(s.total) * this.allowed.num };
  }

  status(end: number): ReferenceStatus {
    const w = referenceWindow(this.def, end);
    const s = this.sums(w.start, end);
    const toNum = (f: Frac | null) => (f === null ? 0 : Number(f.num) / Number(f.den));
    const burnRates: Record<string, number> = {};
    for (const [label, minutes] of [
      ['5m', 5],
      ['30m', 30],
      ['1h', 60],
      ['2h', 120],
      ['6h', 360],
      ['1d', 1440],
      ['3d', 4320],
    ] as const)
      burnRates[label] = toNum(this.burn(this.sums(end - minutes, end)));
    return {
      good: s.good,
      total: s.total,
      sli: s.total === 0 ? null : s.good / s.total,
      budgetRemaining: 1 - toNum(this.burn(s)),
      burnRates,
    };
  }

  /** Sloth/Pyrra: threshold = budget share × SLO window / long window (or a fixed burn rate). */
  threshold(tier: AlertTier, windowMinutes: number): Frac {
    if (tier.burnRate !== undefined) return frac(tier.burnRate);
    const share = frac(tier.budgetShare ?? 0);
    return { num: share.num * BigInt(windowMinutes), den: share.den * BigInt(tier.longMinutes) };
  }

  /**
   * Evaluate minute `end − 1` (closed): the alert transitions it causes, in tier order. A tier
   * fires once its condition has held `alertAfter` minutes in a row (0: at once).
   */
  evaluate(end: number): { tier: string; state: 'firing' | 'resolved' }[] {
    const w = referenceWindow(this.def, end);
    const out: { tier: string; state: 'firing' | 'resolved' }[] = [];
    for (const tier of this.def.alerting.tiers) {
      const thr = this.threshold(tier, w.length);
      const over = (s: { good: number; total: number }): boolean => {
        const b = this.burn(s);
        if (b === null) return false;
        const [l, r] = [b.num * thr.den, thr.num * b.den];
        return tier.op === 'gte' ? l >= r : l > r;
      };
      const long = this.sums(end - tier.longMinutes, end);
      const shortOver = over(this.sums(end - tier.shortMinutes, end));
      if (this.firing.has(tier.name)) {
        if (!shortOver) {
          this.firing.delete(tier.name);
          out.push({ tier: tier.name, state: 'resolved' });
        }
        continue;
      }
      if (!(over(long) && shortOver && long.total >= this.def.alerting.minEvents)) {
        this.holding.delete(tier.name);
        continue;
      }
      const since = this.holding.get(tier.name) ?? end;
      this.holding.set(tier.name, since);
      if (end - since >= (tier.alertAfterMinutes ?? 0)) {
        this.holding.delete(tier.name);
        this.firing.add(tier.name);
        out.push({ tier: tier.name, state: 'firing' });
      }
    }
    return out;
  }
}
