// Calendar windows across DST: fixture vectors for Europe/Berlin (last Sundays of March and October
// 2026) and a half-hour zone, plus duration shorthand fixtures.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MINUTE, windowAt } from './budget.js';
import { calendarPeriod } from './calendar.js';
import { formatDurationMinutes, parseDurationMinutes } from './duration.js';

const iso = (ms: number) => new Date(ms).toISOString();
const H = 3_600_000;

describe('calendar periods', () => {
  const cases: [string, string, 'week' | 'month' | 'quarter', string, string, number][] = [
    // at, zone, unit, start, end, hours
    [
      '2026-03-15T12:00:00Z',
      'Europe/Berlin',
      'month',
      '2026-02-28T23:00:00.000Z',
      '2026-03-31T22:00:00.000Z',
      743,
    ],
    [
      '2026-10-31T22:59:00Z',
      'Europe/Berlin',
      'month',
      '2026-09-30T22:00:00.000Z',
      '2026-10-31T23:00:00.000Z',
      745,
    ],
    [
      '2026-03-29T12:00:00Z',
      'Europe/Berlin',
      'week',
      '2026-03-22T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
      167,
    ],
    [
      '2026-10-25T12:00:00Z',
      'Europe/Berlin',
      'week',
      '2026-10-18T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
      169,
    ],
    [
      '2026-05-01T00:00:00Z',
      'Europe/Berlin',
      'quarter',
      '2026-03-31T22:00:00.000Z',
      '2026-06-30T22:00:00.000Z',
      2184,
    ],
    [
      '2026-02-01T00:00:00Z',
      'Asia/Kolkata',
      'month',
      '2026-01-31T18:30:00.000Z',
      '2026-02-28T18:30:00.000Z',
      672,
    ],
    ['2026-01-01T00:00:00Z', 'UTC', 'quarter', '2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z', 2160],
  ];
  for (const [at, tz, unit, start, end, hours] of cases)
    test(`${unit} in ${tz} at ${at}`, () => {
      const p = calendarPeriod(Date.parse(at), unit, tz);
      assert.equal(iso(p.start), start);
      assert.equal(iso(p.end), end);
      assert.equal((p.end - p.start) / H, hours);
    });

  test('at the first instant of a month the window is the month that just ended', () => {
    const march1 = Date.parse('2026-02-28T23:00:00Z'); // 00:00 on 1 March in Berlin
    const w = windowAt({ kind: 'calendar', unit: 'month', timeZone: 'Europe/Berlin' }, march1);
    assert.equal(iso(w.start * MINUTE), '2026-01-31T23:00:00.000Z');
    assert.equal(w.end * MINUTE, march1);
    const w2 = windowAt({ kind: 'calendar', unit: 'month', timeZone: 'Europe/Berlin' }, march1 + MINUTE);
    assert.equal(w2.start * MINUTE, march1);
    assert.equal(w2.length, 743 * 60);
  });
});

describe('duration shorthand', () => {
  const ok: [string, number][] = [
    ['5m', 5],
    ['1h', 60],
    ['30d', 43_200],
    ['4w', 40_320],
  ];
  for (const [text, minutes] of ok)
    test(`${text} = ${minutes} min`, () => assert.equal(parseDurationMinutes(text), minutes));
  for (const bad of ['', '0m', '5', 'm', '1M', '1.5h', ' 5m', '5 m', '-1d', '1Y'])
    test(`rejects ${JSON.stringify(bad)}`, () => assert.equal(parseDurationMinutes(bad), undefined));
  test('format round-trips', () => {
    for (const m of [5, 59, 60, 90, 1440, 10_080, 40_320, 43_200])
      assert.equal(parseDurationMinutes(formatDurationMinutes(m)), m);
  });
});
