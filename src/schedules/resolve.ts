/**
 * Resolution: for a schedule, a zone and an instant, exactly one effective state — the last slot
 * write at or before the instant (STYLE.md: pure, clock-free; the caller passes the instant).
 *
 * A local date's plan is the slots of the first thing that claims the date, in priority order:
 * a one-off exception, then the rules as listed. Slots become instants with the DST rules of
 * local-time.ts; slots that land on the same instant (two slots inside one gap, or a gap slot and
 * the slot at the gap's end) collapse into one write, the later wall time winning. Before the
 * day's first slot the previous days' last write still holds (looked up to MAX_LOOKBACK_DAYS back;
 * beyond that only exception and holiday days, which are listed).
 */
import { matches } from './day-match.js';
import { formatDate, localDay, parseDate, parseTime, wallToInstant } from './local-time.js';
import type { EffectiveState, ScheduleSpec, Slot, SlotWrite } from './types.js';

/** How far back a state carries when no slot fired since (a yearly plan fits with room to spare). */
export const MAX_LOOKBACK_DAYS = 400;
const PLAN_CACHE = 800;

export class Resolver {
  private readonly plans = new Map<number, SlotWrite[]>();
  private readonly holidaySets = new Map<string, Set<string>>();
  private readonly exceptions = new Map<number, { slots: Slot[] }>();
  /** Exception and holiday days, latest first: the only days that can hold a write older than the lookback. */
  private readonly listedDays: number[];

  constructor(
    readonly spec: ScheduleSpec,
    /** The zone slots are read in (the schedule's, or the device's own). */
    readonly zone: string = spec.timezone,
  ) {
    for (const [name, dates] of Object.entries(spec.holidays)) this.holidaySets.set(name, new Set(dates));
    for (const e of spec.exceptions) {
      const d = parseDate(e.date);
      if (d !== undefined) this.exceptions.set(d, e);
    }
    const listed = new Set(this.exceptions.keys());
    for (const dates of Object.values(spec.holidays))
      for (const date of dates) {
        const d = parseDate(date);
        if (d !== undefined) listed.add(d);
      }
    this.listedDays = [...listed].sort((a, b) => b - a);
  }

  /** The writes of local day number `day`, in firing order, one per instant. */
  plan(day: number): SlotWrite[] {
    let p = this.plans.get(day);
    if (p) return p;
    p = this.computePlan(day);
    if (this.plans.size >= PLAN_CACHE) this.plans.clear();
    this.plans.set(day, p);
    return p;
  }

  private computePlan(day: number): SlotWrite[] {
    let source = 'exception';
    let slots = this.exceptions.get(day)?.slots;
    if (!slots) {
      const isHoliday = (list: string, date: string): boolean =>
        this.holidaySets.get(list)?.has(date) ?? false;
      const rule = this.spec.rules.find((r) => matches(r.when, day, isHoliday));
      if (!rule) return [];
      source = rule.name;
      slots = rule.slots;
    }
    const date = formatDate(day);
    const timed = slots
      .map((s) => ({ s, minute: parseTime(s.time) }))
      .filter((x): x is { s: Slot; minute: number } => x.minute !== undefined)
      .sort((a, b) => a.minute - b.minute);
    const out: SlotWrite[] = [];
    for (const { s, minute } of timed) {
      const at = wallToInstant(this.zone, day, minute);
      const w: SlotWrite = { at, date, time: s.time, source, patch: s.patch };
      const last = out[out.length - 1];
      if (last && last.at >= at) out[out.length - 1] = { ...w, at: last.at };
      else out.push(w);
    }
    return out;
  }

  /** The effective state at instant `ms`. */
  at(ms: number): EffectiveState {
    const today = localDay(this.zone, ms);
    for (let d = today; d > today - MAX_LOOKBACK_DAYS; d--) {
      const plan = this.plan(d);
      for (let i = plan.length - 1; i >= 0; i--) {
        const w = plan[i]!;
        if (w.at <= ms) return { kind: 'slot', write: w };
      }
    }
    // Nothing in the lookback: a write on a listed day (an exception, a holiday) still holds, however
    // old — a schedule whose rules write nothing must not lapse to 'none' between two writes.
    for (const d of this.listedDays) {
      if (d > today - MAX_LOOKBACK_DAYS) continue;
      const plan = this.plan(d);
      for (let i = plan.length - 1; i >= 0; i--)
        if (plan[i]!.at <= ms) return { kind: 'slot', write: plan[i]! };
    }
    return { kind: 'none' };
  }

  /** Writes with `from <= at < to`, in order. */
  writes(from: number, to: number): SlotWrite[] {
    const out: SlotWrite[] = [];
    if (to <= from) return out;
    const last = localDay(this.zone, to);
    for (let d = localDay(this.zone, from) - 1; d <= last; d++)
      for (const w of this.plan(d)) if (w.at >= from && w.at < to) out.push(w);
    return out;
  }

  /** The first write strictly after `ms`, looking ahead up to MAX_LOOKBACK_DAYS. */
  next(ms: number): SlotWrite | undefined {
    const today = localDay(this.zone, ms);
    for (let d = today; d < today + MAX_LOOKBACK_DAYS; d++)
      for (const w of this.plan(d)) if (w.at > ms) return w;
    return undefined;
  }
}

/** One-shot form of `Resolver.at` (use a Resolver to resolve many instants). */
export function resolveAt(spec: ScheduleSpec, ms: number, zone: string = spec.timezone): EffectiveState {
  return new Resolver(spec, zone).at(ms);
}
