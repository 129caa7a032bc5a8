/**
 * Job scheduling, pure: start/end times, recurring maintenance windows in a time zone across DST,
 * validation errors naming the field, and random inputs that never throw anything but a 422.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TsunaguError } from '../core/index.js';
import {
  parseScheduling,
  schedulePhase,
  wallTime,
  windowIntervals,
  type SchedulingInput,
} from './job-schedule.js';

const NOW = Date.UTC(2026, 0, 1); // a Thursday
const at = (iso: string) => Date.parse(iso);
const weekend = parseScheduling(
  {
    timeZone: 'Europe/Berlin',
    maintenanceWindows: [
      { recurrence: 'FREQ=WEEKLY;BYDAY=SA,SU', startTime: '02:00', durationInMinutes: 180 },
    ],
  },
  NOW,
);

test('phases of a weekend window in Europe/Berlin (winter: UTC+1)', () => {
  const table: [string, string, string | null, string | null][] = [
    // now (UTC)             phase     opensAt (UTC)              closesAt (UTC)
    ['2026-01-01T12:00:00Z', 'closed', '2026-01-03T01:00:00Z', null],
    ['2026-01-03T00:59:59Z', 'closed', '2026-01-03T01:00:00Z', null],
    ['2026-01-03T01:00:00Z', 'open', null, '2026-01-03T04:00:00Z'],
    ['2026-01-03T03:59:59Z', 'open', null, '2026-01-03T04:00:00Z'],
    ['2026-01-03T04:00:00Z', 'closed', '2026-01-04T01:00:00Z', null],
    ['2026-01-05T00:00:00Z', 'closed', '2026-01-10T01:00:00Z', null],
  ];
  for (const [now, phase, opensAt, closesAt] of table) {
    const s = schedulePhase(weekend, at(now));
    assert.deepEqual(
      s,
      { phase, opensAt: opensAt && at(opensAt), closesAt: closesAt && at(closesAt) },
      `at ${now}`,
    );
  }
});

test('the window keeps its local time across DST (summer: UTC+2)', () => {
  const s = schedulePhase(weekend, at('2026-07-04T00:30:00Z'));
  assert.deepEqual(s, { phase: 'open', opensAt: null, closesAt: at('2026-07-04T03:00:00Z') });
});

test('wall times in the DST gap move forward by the gap; in the overlap the first instant counts', () => {
  assert.equal(
    wallTime(2026, 3, 29, 2, 30, 'Europe/Berlin'),
    at('2026-03-29T01:30:00Z'),
    '02:30 → 03:30 CEST',
  );
  assert.equal(
    wallTime(2026, 10, 25, 2, 30, 'Europe/Berlin'),
    at('2026-10-25T00:30:00Z'),
    'first 02:30 (CEST)',
  );
  assert.equal(wallTime(2026, 1, 3, 2, 0, 'Asia/Tokyo'), at('2026-01-02T17:00:00Z'));
});

test('a window past midnight and overlapping windows merge', () => {
  const s = parseScheduling(
    {
      timeZone: 'Asia/Tokyo',
      maintenanceWindows: [
        { recurrence: 'FREQ=DAILY', startTime: '23:00', durationInMinutes: 120 },
        { recurrence: 'FREQ=DAILY', startTime: '00:30', durationInMinutes: 120 },
      ],
    },
    NOW,
  );
  const w = windowIntervals(s, at('2026-01-02T00:00:00Z'), at('2026-01-03T00:00:00Z'));
  assert.deepEqual(
    w.map((i) => [new Date(i.from).toISOString(), new Date(i.to).toISOString()]),
    [['2026-01-02T14:00:00.000Z', '2026-01-02T17:30:00.000Z']],
    '23:00–01:00 and 00:30–02:30 Tokyo are one interval',
  );
  assert.equal(schedulePhase(s, at('2026-01-02T17:00:00Z')).phase, 'open', '02:00 Tokyo: second window');
});

test('start and end times: before-start, open, ended; windows never open past the end', () => {
  const s = parseScheduling(
    { startTime: '2026-01-02T09:00', endTime: '2026-01-02T17:00', timeZone: 'Asia/Tokyo' },
    NOW,
  );
  assert.deepEqual(schedulePhase(s, NOW), {
    phase: 'before-start',
    opensAt: at('2026-01-02T00:00:00Z'),
    closesAt: null,
  });
  assert.deepEqual(schedulePhase(s, at('2026-01-02T01:00:00Z')), {
    phase: 'open',
    opensAt: null,
    closesAt: at('2026-01-02T08:00:00Z'),
  });
  assert.equal(schedulePhase(s, at('2026-01-02T08:00:00Z')).phase, 'ended');
  const w = parseScheduling(
    {
      ...weekend,
      startTime: '2026-01-01T00:00Z',
      endTime: '2026-01-02T00:00Z',
      maintenanceWindows: weekend.windows,
    },
    NOW,
  );
  assert.deepEqual(schedulePhase(w, at('2026-01-01T06:00:00Z')), {
    phase: 'closed',
    opensAt: null,
    closesAt: null,
  });
});

test('bad settings are 422 errors naming the field', () => {
  const cases: [SchedulingInput, string][] = [
    [{ timeZone: 'Mars/Olympus' }, 'schedulingConfig.timeZone'],
    [{ startTime: 'tomorrow' }, 'schedulingConfig.startTime'],
    [{ endTime: '2025-12-31T00:00Z' }, 'schedulingConfig.endTime'],
    [{ startTime: '2026-02-01T00:00Z', endTime: '2026-01-31T00:00Z' }, 'schedulingConfig.endTime'],
    [
      {
        maintenanceWindows: [
          { recurrence: 'FREQ=DAILY', startTime: 'cron(0 2 ? * SAT *)', durationInMinutes: 60 },
        ],
      },
      'schedulingConfig.maintenanceWindows[0].startTime',
    ],
    [
      { maintenanceWindows: [{ recurrence: 'FREQ=HOURLY', startTime: '02:00', durationInMinutes: 60 }] },
      'schedulingConfig.maintenanceWindows[0].recurrence',
    ],
    [
      {
        maintenanceWindows: [
          { recurrence: 'FREQ=WEEKLY;BYDAY=XX', startTime: '02:00', durationInMinutes: 60 },
        ],
      },
      'schedulingConfig.maintenanceWindows[0].recurrence',
    ],
  ];
  for (const [input, field] of cases)
    assert.throws(
      () => parseScheduling(input, NOW),
      (e: unknown) => e instanceof TsunaguError && e.statusCode === 422 && e.message.startsWith(field),
      field,
    );
});

test('random inputs give a schedule or a 422, never another error', () => {
  const text = fc.oneof(
    fc.string(),
    fc.constantFrom('FREQ=DAILY', 'FREQ=WEEKLY;BYDAY=MO', '02:00', '25:00', 'UTC'),
  );
  fc.assert(
    fc.property(
      text,
      text,
      text,
      text,
      fc.integer({ min: 1, max: 10080 }),
      (zone, start, rule, hhmm, dur) => {
        try {
          const s = parseScheduling(
            {
              timeZone: zone,
              startTime: start,
              maintenanceWindows: [{ recurrence: rule, startTime: hhmm, durationInMinutes: dur }],
            },
            NOW,
          );
          schedulePhase(s, NOW);
        } catch (e) {
          if (!(e instanceof TsunaguError) || e.statusCode !== 422) throw e;
        }
      },
    ),
    { numRuns: 500 },
  );
});
