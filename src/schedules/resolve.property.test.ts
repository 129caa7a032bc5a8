// Property tests: for random schedules (rules, day sets, slots crowded into the small hours where DST
// gaps and overlaps live, exceptions) in four zones, around DST changes and at random instants:
// exactly one state at every minute, equal to the last write listed by `writes()` (an independent
// path through the plans); transitions only at those writes; writes strictly increasing, on whole
// minutes, on their own local date.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { Resolver } from './resolve.js';
import type { DayName, EffectiveState, ScheduleSpec, SlotWrite } from './types.js';

const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Lord_Howe'];
/** Local dates of DST changes (and ordinary days) in 2024–2026 for the zones above. */
const DAYS = [
  '2024-03-31',
  '2024-10-27',
  '2024-03-10',
  '2024-11-03',
  '2024-04-07',
  '2024-10-06',
  '2025-03-30',
  '2025-10-26',
  '2025-03-09',
  '2025-11-02',
  '2025-04-06',
  '2025-10-05',
  '2024-02-29',
  '2025-12-31',
  '2026-06-15',
];

const time = fc
  .oneof(fc.integer({ min: 0, max: 239 }), fc.integer({ min: 0, max: 1439 }))
  .map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
const slots = fc.array(fc.record({ time, patch: fc.record({ n: fc.integer({ min: 0, max: 9 }) }) }), {
  maxLength: 5,
});
const dayName = fc.constantFrom<DayName>(
  'mon',
  'tue',
  'wed',
  'thu',
  'fri',
  'sat',
  'sun',
  'weekday',
  'weekend',
);
const spec = fc.record({
  timezone: fc.constantFrom(...ZONES),
  rules: fc.array(
    fc.record({
      name: fc.constantFrom('a', 'b', 'c'),
      when: fc.record({ days: fc.array(dayName, { maxLength: 3 }) }),
      slots,
    }),
    { minLength: 1, maxLength: 3 },
  ),
  exceptions: fc.array(fc.record({ date: fc.constantFrom(...DAYS), slots }), { maxLength: 2 }),
  holidays: fc.constant({}),
}) as fc.Arbitrary<ScheduleSpec>;

const id = (s: EffectiveState): string =>
  s.kind === 'none' ? 'none' : `${s.write.at}|${s.write.date}|${s.write.time}`;
const wid = (w: SlotWrite): string => `${w.at}|${w.date}|${w.time}`;

function check(s: ScheduleSpec, start: number, minutes: number): void {
  const r = new Resolver(s);
  const end = start + minutes * 60_000;
  const ws = r.writes(start + 1, end + 1);
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    assert.equal(w.at % 60_000, 0);
    assert.equal(DateTime.fromMillis(w.at, { zone: s.timezone }).toISODate(), w.date);
    if (i > 0) assert.ok(w.at > ws[i - 1]!.at, 'strictly increasing');
  }
  let expected = id(r.at(start));
  let next = 0;
  for (let m = start + 60_000; m <= end; m += 60_000) {
    let changed = false;
    while (next < ws.length && ws[next]!.at <= m) {
      expected = wid(ws[next++]!);
      changed = true;
    }
    const got = r.at(m);
    assert.equal(id(got), expected, `state at ${new Date(m).toISOString()}`);
    if (!changed) continue;
    assert.ok(got.kind === 'slot' && got.write.at > m - 60_000, 'transition on a slot boundary');
  }
}

describe('resolution properties', () => {
  test('around DST changes: one state per minute, matching the listed writes', () => {
    fc.assert(
      fc.property(spec, fc.constantFrom(...DAYS), (s, day) => {
        const start = DateTime.fromISO(day, { zone: s.timezone }).minus({ hours: 12 }).toMillis();
        check(s, start, 48 * 60);
      }),
      { numRuns: 120 },
    );
  });

  test('at random instants over five years', () => {
    fc.assert(
      fc.property(
        spec,
        fc.integer({ min: Date.UTC(2023, 0, 1) / 60_000, max: Date.UTC(2028, 0, 1) / 60_000 }),
        (s, minute) => {
          check(s, minute * 60_000, 36 * 60);
        },
      ),
      { numRuns: 80 },
    );
  });

  test('an exception’s write holds past the lookback when the rules write nothing (found by the property above)', () => {
    const s: ScheduleSpec = {
      timezone: 'Europe/Berlin',
      rules: [{ name: 'a', when: { days: [] }, slots: [] }],
      exceptions: [{ date: '2024-10-27', slots: [{ time: '00:00', patch: { n: 0 } }] }],
      holidays: {},
    };
    check(s, 29_406_900 * 60_000, 36 * 60);
  });

  test('resolution never throws and answers a state for any instant and zone', () => {
    fc.assert(
      fc.property(spec, fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }), (s, ms) => {
        const st = new Resolver(s).at(ms);
        assert.ok(st.kind === 'none' || st.write.at <= ms);
      }),
      { numRuns: 300 },
    );
  });
});
