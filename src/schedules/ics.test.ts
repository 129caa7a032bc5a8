// Holiday import from .ics: fixture table (DATE events, multi-day, yearly RRULE with EXDATE, a moved
// occurrence, DATE-TIME with TZID, folded lines) and random input that must only ever be refused as
// a 422 naming the field.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TsunaguError } from '../core/index.js';
import { importHolidays } from './ics.js';

const cal = (...events: string[]): string =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//holidays//EN', ...events, 'END:VCALENDAR'].join('\r\n');
const ev = (...lines: string[]): string => ['BEGIN:VEVENT', ...lines, 'END:VEVENT'].join('\r\n');

describe('importHolidays', () => {
  test('fixture table', () => {
    const cases: [string, string, string, string, string[]][] = [
      [
        'one all-day event',
        cal(ev('UID:a', 'DTSTART;VALUE=DATE:20260101', 'DTEND;VALUE=DATE:20260102', 'SUMMARY:Neujahr')),
        '2026-01-01',
        '2026-12-31',
        ['2026-01-01'],
      ],
      [
        'all-day without DTEND',
        cal(ev('UID:a', 'DTSTART;VALUE=DATE:20261003', 'SUMMARY:Einheit')),
        '2026-01-01',
        '2026-12-31',
        ['2026-10-03'],
      ],
      [
        'multi-day, DTEND exclusive',
        cal(ev('UID:a', 'DTSTART;VALUE=DATE:20261224', 'DTEND;VALUE=DATE:20261227', 'SUMMARY:Weihnachten')),
        '2026-01-01',
        '2026-12-31',
        ['2026-12-24', '2026-12-25', '2026-12-26'],
      ],
      [
        'yearly RRULE with an EXDATE, over a window',
        cal(
          ev(
            'UID:x',
            'DTSTART;VALUE=DATE:20240501',
            'RRULE:FREQ=YEARLY',
            'EXDATE;VALUE=DATE:20250501',
            'SUMMARY:Tag der Arbeit',
          ),
        ),
        '2024-01-01',
        '2027-12-31',
        ['2024-05-01', '2026-05-01', '2027-05-01'],
      ],
      [
        'a moved occurrence (RECURRENCE-ID)',
        cal(
          ev('UID:m', 'DTSTART;VALUE=DATE:20260115', 'RRULE:FREQ=MONTHLY;COUNT=3', 'SUMMARY:Inventur'),
          ev(
            'UID:m',
            'RECURRENCE-ID;VALUE=DATE:20260215',
            'DTSTART;VALUE=DATE:20260216',
            'SUMMARY:Inventur (moved)',
          ),
        ),
        '2026-01-01',
        '2026-12-31',
        ['2026-01-15', '2026-02-16', '2026-03-15'],
      ],
      [
        'DATE-TIME in a zone: the wall date as written',
        cal(
          ev(
            'UID:t',
            'DTSTART;TZID=Europe/Berlin:20261231T230000',
            'DTEND;TZID=Europe/Berlin:20261231T235900',
            'SUMMARY:Silvester',
          ),
        ),
        '2026-01-01',
        '2027-12-31',
        ['2026-12-31'],
      ],
      [
        'folded lines and escapes',
        cal(ev('UID:f', 'DTSTART;VALUE=DATE:20260406', 'SUMMARY:Oster\r\n montag\\, Feiertag')),
        '2026-01-01',
        '2026-12-31',
        ['2026-04-06'],
      ],
      [
        'outside the window',
        cal(ev('UID:a', 'DTSTART;VALUE=DATE:20300101', 'SUMMARY:later')),
        '2026-01-01',
        '2026-12-31',
        [],
      ],
    ];
    for (const [name, text, from, to, dates] of cases)
      assert.deepEqual(importHolidays(text, from, to).dates, dates, name);
  });

  test('summaries are kept per date, unfolded and unescaped', () => {
    const out = importHolidays(
      cal(ev('UID:f', 'DTSTART;VALUE=DATE:20260406', 'SUMMARY:Oster\r\n montag\\, Feiertag')),
      '2026-01-01',
      '2026-12-31',
    );
    assert.deepEqual(out.events, [{ date: '2026-04-06', summary: 'Ostermontag, Feiertag' }]);
  });

  test('refusals name the field', () => {
    const field = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (err) {
        assert.ok(err instanceof TsunaguError);
        assert.equal(err.statusCode, 422);
        return err.field;
      }
      return 'accepted';
    };
    assert.equal(
      field(() => importHolidays('hello', '2026-01-01', '2026-12-31')),
      'ics',
    );
    assert.equal(
      field(() => importHolidays(cal(), '2026-01-01', '2026-12-31')),
      'ics',
    );
    assert.equal(
      field(() =>
        importHolidays(cal(ev('UID:a', 'DTSTART;VALUE=DATE:20260101')), '2026-13-01', '2026-12-31'),
      ),
      'from',
    );
    assert.equal(
      field(() =>
        importHolidays(cal(ev('UID:a', 'DTSTART;VALUE=DATE:20260101')), '2026-01-01', '2025-12-31'),
      ),
      'to',
    );
  });

  test('random input is refused with a 422, never crashes', () => {
    const line = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'BEGIN:VCALENDAR',
        'END:VCALENDAR',
        'BEGIN:VEVENT',
        'END:VEVENT',
        'DTSTART;VALUE=DATE:20260101',
        'RRULE:FREQ=DAILY',
        'DTEND:garbage',
        'RRULE:FREQ=YEARLY;BYMONTH=13',
      ),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        try {
          const out = importHolidays(lines.join('\r\n'), '2026-01-01', '2026-12-31');
          assert.ok(Array.isArray(out.dates));
        } catch (err) {
          assert.ok(err instanceof TsunaguError && err.statusCode === 422, `unexpected ${String(err)}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});
