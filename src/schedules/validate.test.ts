// Validation: every refusal is a 422 naming the field by its path; a good body gets its defaults.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TsunaguError } from '../core/index.js';
import { validateSchedule } from './validate.js';

const good = () => ({
  name: 'boiler plan',
  timezone: 'Europe/Berlin',
  holidays: { de: ['2026-12-25'] },
  rules: [
    { name: 'holiday', when: { holidays: ['de'] }, slots: [{ time: '08:00', patch: { mode: 'eco' } }] },
    {
      name: 'season',
      when: {
        days: ['weekday'],
        between: { from: '10-01', to: '04-30' },
        rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
      },
      slots: [{ time: '06:00', patch: { mode: 'heat', setpoint: 55 } }],
    },
  ],
  exceptions: [{ date: '2028-02-29', slots: [] }],
});

function fieldOf(body: unknown): string | undefined {
  try {
    validateSchedule(body);
  } catch (err) {
    assert.ok(err instanceof TsunaguError, String(err));
    assert.equal(err.statusCode, 422);
    return err.field;
  }
  return undefined;
}

describe('validateSchedule', () => {
  test('a good body gets defaults', () => {
    const s = validateSchedule(good());
    assert.equal(s.enabled, true);
    assert.equal(s.shadowName, '');
    assert.equal(s.zoneAttribute, 'timezone');
    assert.equal(s.overrideMode, 'until_next_slot');
    assert.equal(s.verify.attempts, 5);
    assert.deepEqual(s.targets, { devices: [], models: [], tags: [] });
  });

  test('refusals name the field', () => {
    const cases: [string, (b: ReturnType<typeof good>) => unknown, string][] = [
      ['not an object', () => 'x', 'body'],
      ['no name', (b) => ({ ...b, name: undefined }), 'name'],
      ['empty name', (b) => ({ ...b, name: ' ' }), 'name'],
      ['unknown zone', (b) => ({ ...b, timezone: 'Mars/Olympus' }), 'timezone'],
      ['rules missing', (b) => ({ ...b, rules: undefined }), 'rules'],
      [
        'bad time',
        (b) => {
          b.rules[1]!.slots[0]!.time = '24:00';
          return b;
        },
        'rules[1].slots[0].time',
      ],
      [
        'patch not an object',
        (b) => {
          (b.rules[0]!.slots[0] as { patch: unknown }).patch = [1];
          return b;
        },
        'rules[0].slots[0].patch',
      ],
      [
        'duplicate slot time',
        (b) => {
          (b.rules[0]!.slots as unknown[]).push({ time: '08:00', patch: { a: 1 } });
          return b;
        },
        'rules[0].slots[1].time',
      ],
      [
        'unknown day',
        (b) => ({ ...b, rules: [{ name: 'x', when: { days: ['monday'] }, slots: [] }] }),
        'rules[0].when.days[0]',
      ],
      [
        'unknown holiday list',
        (b) => ({ ...b, rules: [{ name: 'x', when: { holidays: ['fr'] }, slots: [] }] }),
        'rules[0].when.holidays[0]',
      ],
      [
        'bad range',
        (b) => ({
          ...b,
          rules: [{ name: 'x', when: { between: { from: '02-30', to: '03-01' } }, slots: [] }],
        }),
        'rules[0].when.between.from',
      ],
      [
        'mixed range forms',
        (b) => ({
          ...b,
          rules: [{ name: 'x', when: { between: { from: '02-01', to: '2026-03-01' } }, slots: [] }],
        }),
        'rules[0].when.between.to',
      ],
      [
        'bad rrule',
        (b) => ({ ...b, rules: [{ name: 'x', when: { rrule: 'FREQ=SOMETIMES' }, slots: [] }] }),
        'rules[0].when.rrule',
      ],
      [
        'rrule with TZID',
        (b) => ({
          ...b,
          rules: [
            {
              name: 'x',
              when: { rrule: 'DTSTART;TZID=Europe/Berlin:20260101T000000\nRRULE:FREQ=DAILY' },
              slots: [],
            },
          ],
        }),
        'rules[0].when.rrule',
      ],
      [
        'unknown condition',
        (b) => ({ ...b, rules: [{ name: 'x', when: { month: 3 }, slots: [] }] }),
        'rules[0].when.month',
      ],
      [
        'not a leap year',
        (b) => ({ ...b, exceptions: [{ date: '2026-02-29', slots: [] }] }),
        'exceptions[0].date',
      ],
      [
        'duplicate exception',
        (b) => ({
          ...b,
          exceptions: [
            { date: '2028-02-29', slots: [] },
            { date: '2028-02-29', slots: [] },
          ],
        }),
        'exceptions[1].date',
      ],
      ['bad holiday date', (b) => ({ ...b, holidays: { de: ['25.12.2026'] } }), 'holidays.de[0]'],
      ['bad override mode', (b) => ({ ...b, overrideMode: 'forever' }), 'overrideMode'],
      ['attempts out of range', (b) => ({ ...b, verify: { attempts: 0 } }), 'verify.attempts'],
      ['targets.devices not strings', (b) => ({ ...b, targets: { devices: [1] } }), 'targets.devices[0]'],
    ];
    for (const [name, mutate, field] of cases) assert.equal(fieldOf(mutate(good())), field, name);
  });
});
