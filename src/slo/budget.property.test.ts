// Property tests: the counter-based SLI, budget and burn rates equal a brute-force computation over
// the raw synthetic events, for random streams, windows (rolling and calendar in several time zones
// across DST changes), targets and both budgeting methods. Events are counted in random order, so
// late counts into older minutes are covered too.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { computeStatus, horizonMinutes, MINUTE } from './budget.js';
import { localParts } from './calendar.js';
import { MinuteSeries } from './series.js';
import { BURN_WINDOWS, defaultTiers, type Budgeting, type SloDefinition, type SloWindow } from './types.js';

interface RawEvent {
  at: number;
  good: boolean;
}

/** Period key of an instant: independent of calendar.ts's boundary arithmetic. */
function periodKey(at: number, unit: 'week' | 'month' | 'quarter', tz: string): string {
  const p = localParts(at, tz);
  if (unit === 'month') return `${p.year}-${p.month}`;
  if (unit === 'quarter') return `${p.year}-q${Math.floor((p.month - 1) / 3)}`;
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day));
  const monday = d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000;
  return `w${monday}`;
}

/** Brute force: walk back hour by hour, then minute by minute, while the period key holds. */
function bruteCalendarStartMinute(endMinute: number, unit: 'week' | 'month' | 'quarter', tz: string): number {
  const key = periodKey(endMinute * MINUTE - 1, unit, tz);
  let m = endMinute - 1;
  while (periodKey((m - 60) * MINUTE, unit, tz) === key) m -= 60;
  while (periodKey((m - 1) * MINUTE, unit, tz) === key) m -= 1;
  return m;
}

function bruteSums(
  events: RawEvent[],
  from: number,
  to: number,
  budgeting: Budgeting,
): { good: number; total: number } {
  const inRange = events.filter((e) => {
    const m = Math.floor(e.at / MINUTE);
    return m >= from && m < to;
  });
  if (budgeting.method === 'occurrences')
    return { good: inRange.filter((e) => e.good).length, total: inRange.length };
  const perMinute = new Map<number, { good: number; total: number }>();
  for (const e of inRange) {
    const m = Math.floor(e.at / MINUTE);
    const s = perMinute.get(m) ?? { good: 0, total: 0 };
    s.total++;
    if (e.good) s.good++;
    perMinute.set(m, s);
  }
  let good = 0;
  for (const s of perMinute.values()) if (s.good / s.total >= budgeting.sliceTarget) good++;
  return { good, total: perMinute.size };
}

const close = (a: number, b: number): boolean =>
  Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

// Last Sunday of March and October 2026 (Europe/Berlin DST changes), and a US change.
const BASES = [Date.UTC(2026, 2, 27), Date.UTC(2026, 9, 23), Date.UTC(2026, 10, 30), Date.UTC(2026, 2, 6)];
const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'UTC', 'Australia/Lord_Howe'];

const windowArb: fc.Arbitrary<SloWindow> = fc.oneof(
  fc.integer({ min: 5, max: 14 * 1440 }).map((minutes): SloWindow => ({ kind: 'rolling', minutes })),
  fc
    .record({ unit: fc.constantFrom('week', 'month', 'quarter'), tz: fc.constantFrom(...ZONES) })
    .map(({ unit, tz }): SloWindow => ({ kind: 'calendar', unit, timeZone: tz })),
);

const budgetingArb: fc.Arbitrary<Budgeting> = fc.oneof(
  fc.constant<Budgeting>({ method: 'occurrences' }),
  fc
    .double({ min: 0.1, max: 1, noNaN: true })
    .map((t): Budgeting => ({ method: 'timeslices', sliceTarget: t })),
);

describe('counter-based SLI, budget and burn rate equal brute force', () => {
  test('random streams, windows, targets, time zones across DST', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BASES),
        fc.array(
          fc.record({
            minute: fc.integer({ min: 0, max: 6 * 1440 }),
            second: fc.integer({ min: 0, max: 59 }),
            good: fc.double({ min: 0, max: 1, noNaN: true }).map((x) => x < 0.8),
            burst: fc.integer({ min: 1, max: 3 }),
          }),
          { maxLength: 150 },
        ),
        windowArb,
        budgetingArb,
        fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
        fc.integer({ min: 0, max: 7 * 1440 }),
        fc.integer({ min: 0, max: 59_999 }),
        (base, evs, window, budgeting, target, nowMinute, nowMs) => {
          const now = base + nowMinute * MINUTE + nowMs;
          // Only what has happened by `now` (the engine never sees the future).
          const events: RawEvent[] = evs
            .flatMap((e) =>
              Array.from({ length: e.burst }, () => ({
                at: base + e.minute * MINUTE + e.second * 1000,
                good: e.good,
              })),
            )
            .filter((e) => e.at <= now);
          const def: SloDefinition = {
            name: 'p',
            sli: { type: 'heartbeat', selector: {} },
            target,
            window,
            budgeting,
            alerting: { minEvents: 0, tiers: defaultTiers(), budgetExhausted: true },
          };
          const series = new MinuteSeries(
            horizonMinutes(def),
            budgeting.method === 'timeslices' ? budgeting.sliceTarget : undefined,
          );
          // Count in a shuffled order: later minutes first exercises the late-count path.
          const order = [...events].sort((a, b) => ((a.at * 7919) % 1013) - ((b.at * 7919) % 1013));
          for (const e of order) series.add(Math.floor(e.at / MINUTE), e.good ? 1 : 0, 1);
          series.extendTo(Math.floor(now / MINUTE));

          const status = computeStatus(def, series, now);
          const end = Math.floor(now / MINUTE);
          const start =
            window.kind === 'rolling'
              ? end - window.minutes
              : bruteCalendarStartMinute(end, window.unit, window.timeZone);
          assert.equal(status.window.start, start * MINUTE, 'window start');
          const b = bruteSums(events, start, end, budgeting);
          assert.equal(status.good, b.good);
          assert.equal(status.total, b.total);
          assert.equal(status.sli, b.total > 0 ? b.good / b.total : null);
          const remaining = b.total > 0 ? 1 - (b.total - b.good) / (b.total * (1 - target)) : 1;
          assert.ok(
            close(status.budgetRemaining, remaining),
            `budget ${status.budgetRemaining} vs ${remaining}`,
          );
          for (const w of BURN_WINDOWS) {
            const s = bruteSums(events, end - w.minutes, end, budgeting);
            const burn = s.total > 0 ? (s.total - s.good) / s.total / (1 - target) : 0;
            assert.ok(close(status.burnRates[w.label]!, burn), `burn ${w.label}`);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  test('fractional (time-weighted) counts stay within floating-point tolerance', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            minute: fc.integer({ min: 0, max: 3000 }),
            total: fc.double({ min: 0, max: 1e5, noNaN: true }),
            share: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          { maxLength: 200 },
        ),
        fc.integer({ min: 5, max: 3000 }),
        (rows, windowMinutes) => {
          const series = new MinuteSeries(windowMinutes + 10);
          const now = 3001;
          for (const r of rows) series.add(r.minute, r.total * r.share, r.total);
          series.extendTo(now);
          const s = series.events(now - windowMinutes, now);
          let good = 0;
          let total = 0;
          for (const r of rows)
            if (r.minute >= now - windowMinutes && r.minute < now) {
              good += r.total * r.share;
              total += r.total;
            }
          assert.ok(Math.abs(s.good - good) <= 1e-6 * Math.max(1, good));
          assert.ok(Math.abs(s.total - total) <= 1e-6 * Math.max(1, total));
        },
      ),
      { numRuns: 200 },
    );
  });
});
