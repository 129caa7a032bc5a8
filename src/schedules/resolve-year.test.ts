// Full years at minute resolution in four zones (Europe/Berlin, America/New_York, Asia/Tokyo and
// Australia/Lord_Howe with its 30-minute DST), walked with an injected clock. The expected firing
// instants come from luxon's DateTime (a different code path from local-time.ts's offset search).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { ManualClock } from '../core/index.js';
import { Resolver } from './resolve.js';
import type { EffectiveState, ScheduleSpec, SlotWrite } from './types.js';

const night = (n: number) => [
  { time: '01:30', patch: { mode: 'night', n } },
  { time: '02:15', patch: { mode: 'night2', n } },
  { time: '02:30', patch: { mode: 'night3', n } },
];

export const yearSpec = (timezone: string): ScheduleSpec => ({
  timezone,
  holidays: { public: ['2024-01-01', '2024-12-25', '2025-01-01'] },
  exceptions: [{ date: '2024-02-29', slots: [{ time: '12:00', patch: { mode: 'leap' } }] }],
  rules: [
    {
      name: 'holiday',
      when: { holidays: ['public'] },
      slots: [{ time: '08:00', patch: { mode: 'holiday' } }],
    },
    {
      name: 'maintenance',
      when: { rrule: 'FREQ=MONTHLY;BYDAY=1MO' },
      slots: [...night(0), { time: '04:00', patch: { mode: 'maintenance' } }],
    },
    {
      name: 'heating-weekday',
      when: { days: ['weekday'], between: { from: '10-01', to: '04-30' } },
      slots: [
        ...night(1),
        { time: '06:00', patch: { mode: 'heat', setpoint: 55 } },
        { time: '22:00', patch: { mode: 'eco' } },
      ],
    },
    {
      name: 'weekend',
      when: { days: ['weekend'] },
      slots: [
        ...night(2),
        { time: '08:00', patch: { mode: 'heat', setpoint: 50 } },
        { time: '23:00', patch: { mode: 'eco' } },
      ],
    },
    { name: 'summer', when: {}, slots: [...night(3), { time: '07:00', patch: { mode: 'off' } }] },
  ],
});

const hhmm = (dt: DateTime): string => dt.toFormat('HH:mm');

/** Oracle: does wall time `time` exist on `date` in `zone`? (luxon moves nonexistent times forward.) */
function exists(zone: string, date: string, time: string): boolean {
  const dt = DateTime.fromISO(`${date}T${time}`, { zone });
  return hhmm(dt) === time && dt.toISODate() === date;
}

function checkWrite(zone: string, w: SlotWrite): void {
  const local = DateTime.fromMillis(w.at, { zone });
  assert.equal(local.toISODate(), w.date, `${zone} ${w.date} ${w.time}: local date`);
  assert.equal(w.at % 60_000, 0);
  if (exists(zone, w.date, w.time)) {
    assert.equal(hhmm(local), w.time, `${zone} ${w.date} ${w.time}: wall time`);
    // First occurrence: the same wall time did not already happen 30 or 60 minutes earlier.
    for (const back of [30, 60])
      assert.notEqual(
        hhmm(DateTime.fromMillis(w.at - back * 60_000, { zone })),
        w.time,
        `${zone} ${w.date} ${w.time}: fired on the repeat`,
      );
  } else {
    // In a gap: fires at the gap's end — the minute before is still before the slot's wall time.
    assert.ok(hhmm(local) > w.time, `${zone} ${w.date} ${w.time}: after the gap`);
    assert.ok(
      hhmm(DateTime.fromMillis(w.at - 60_000, { zone })) < w.time,
      `${zone} ${w.date} ${w.time}: gap end`,
    );
  }
}

const key = (s: EffectiveState): string => (s.kind === 'none' ? 'none' : `${s.write.date} ${s.write.time}`);

function walkYear(
  zone: string,
  year: number,
): { writes: SlotWrite[]; transitions: SlotWrite[]; r: Resolver } {
  const r = new Resolver(yearSpec(zone));
  const start = DateTime.fromObject({ year, month: 1, day: 1 }, { zone }).toMillis();
  const end = DateTime.fromObject({ year: year + 1, month: 1, day: 1 }, { zone }).toMillis();
  const clock = new ManualClock(start);
  let prev = r.at(clock.now());
  const transitions: SlotWrite[] = [];
  while (clock.now() < end - 60_000) {
    clock.advance(60_000);
    const now = r.at(clock.now());
    assert.ok(now.kind === 'slot', 'a state at every minute');
    if (key(now) !== key(prev)) {
      // Transitions only at slot boundaries: the new write fired within the last minute.
      assert.ok(
        now.write.at > clock.now() - 60_000 && now.write.at <= clock.now(),
        `${zone} transition off a boundary`,
      );
      transitions.push(now.write);
    }
    prev = now;
  }
  return { writes: r.writes(start + 1, end), transitions, r };
}

for (const zone of ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Lord_Howe']) {
  describe(`a year at minute resolution: ${zone}`, () => {
    test('every minute has one state, every slot fires once, DST and leap days', () => {
      const { writes, transitions, r } = walkYear(zone, 2024);
      assert.deepEqual(
        transitions.map((w) => [w.at, w.date, w.time]),
        writes.map((w) => [w.at, w.date, w.time]),
      );
      for (let i = 1; i < writes.length; i++)
        assert.ok(writes[i]!.at > writes[i - 1]!.at, 'strictly increasing');
      for (const w of writes) checkWrite(zone, w);
      // Every date of the leap year has its writes; the leap day follows its exception.
      const dates = new Set(writes.map((w) => w.date));
      assert.equal(dates.size, 366);
      const leap = writes.filter((w) => w.date === '2024-02-29');
      assert.deepEqual(
        leap.map((w) => [w.time, w.source, w.patch]),
        [['12:00', 'exception', { mode: 'leap' }]],
      );
      // Before noon on the leap day, Wednesday's 22:00 still holds.
      const morning = r.at(DateTime.fromISO('2024-02-29T10:00', { zone }).toMillis());
      assert.ok(morning.kind === 'slot');
      assert.deepEqual(
        [morning.write.date, morning.write.time, morning.write.patch],
        ['2024-02-28', '22:00', { mode: 'eco' }],
      );
      // Holidays outrank the weekday rule; the first Monday of the month runs maintenance.
      assert.deepEqual(
        writes.filter((w) => w.date === '2024-12-25').map((w) => w.source),
        ['holiday'],
      );
      // 2024's first Mondays: twelve, but 2024-01-01 is a public holiday (the holiday rule comes first).
      assert.deepEqual(
        writes.filter((w) => w.source === 'maintenance' && w.time === '04:00').map((w) => w.date.slice(5, 7)),
        ['02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'],
      );
      const perSource = (d: string) => writes.filter((w) => w.date === d)[0]?.source;
      assert.equal(perSource('2024-11-13'), 'heating-weekday');
      assert.equal(perSource('2024-06-12'), 'summer');
    });
  });
}

describe('DST specifics', () => {
  const at = (zone: string, iso: string) => DateTime.fromISO(iso, { zone: 'utc' }).toMillis();
  const of = (zone: string, date: string) =>
    new Resolver(yearSpec(zone)).writes(
      DateTime.fromISO(date, { zone }).toMillis(),
      DateTime.fromISO(date, { zone }).plus({ days: 1 }).toMillis(),
    );

  test('Berlin: a 02:30 slot on spring-forward day runs at 03:00; on fall-back once', () => {
    const spring = of('Europe/Berlin', '2024-03-31'); // a Sunday: weekend rule
    assert.deepEqual(
      spring.map((w) => w.time),
      ['01:30', '02:30', '08:00', '23:00'],
    ); // 02:15 and 02:30 share 03:00
    assert.equal(spring[1]!.at, at('utc', '2024-03-31T01:00:00Z'));
    assert.deepEqual(spring[1]!.patch, { mode: 'night3', n: 2 });
    const fall = of('Europe/Berlin', '2024-10-27');
    assert.deepEqual(
      fall.map((w) => w.time),
      ['01:30', '02:15', '02:30', '08:00', '23:00'],
    );
    assert.equal(fall[2]!.at, at('utc', '2024-10-27T00:30:00Z')); // the first 02:30 (CEST)
  });

  test('New York: 02:30 on spring day at 03:00; 01:30 on fall-back day once', () => {
    const spring = of('America/New_York', '2024-03-10');
    assert.equal(spring.find((w) => w.time === '02:30')!.at, at('utc', '2024-03-10T07:00:00Z'));
    const fall = of('America/New_York', '2024-11-03');
    assert.deepEqual(
      fall.filter((w) => w.time === '01:30').map((w) => w.at),
      [at('utc', '2024-11-03T05:30:00Z')],
    );
  });

  test('Lord Howe: 30-minute shift — 02:15 runs at 02:30; 01:30 on fall-back once', () => {
    const spring = of('Australia/Lord_Howe', '2024-10-06'); // a Sunday
    assert.deepEqual(
      spring.map((w) => w.time),
      ['01:30', '02:30', '08:00', '23:00'],
    );
    assert.equal(
      DateTime.fromMillis(spring[1]!.at, { zone: 'Australia/Lord_Howe' }).toFormat('HH:mm'),
      '02:30',
    );
    const fall = of('Australia/Lord_Howe', '2024-04-07');
    assert.deepEqual(
      fall.filter((w) => w.time === '01:30').map((w) => w.at),
      [at('utc', '2024-04-06T14:30:00Z')],
    );
  });

  test('a device zone overrides the schedule zone', () => {
    const spec = yearSpec('Europe/Berlin');
    const instant = DateTime.fromISO('2024-06-12T09:45', { zone: 'Asia/Tokyo' }).toMillis();
    const tokyo = new Resolver(spec, 'Asia/Tokyo').at(instant);
    const berlin = new Resolver(spec).at(instant);
    assert.ok(tokyo.kind === 'slot' && berlin.kind === 'slot');
    assert.deepEqual(tokyo.write.patch, { mode: 'off' });
    assert.deepEqual(berlin.write.patch, { mode: 'night3', n: 3 });
  });
});
