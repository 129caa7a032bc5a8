import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EMPTY_SCHEDULE_FORM,
  fieldMatches,
  formToSchedule,
  parseSlots,
  scheduleToForm,
  todayIn,
  yearGrid,
  type Schedule,
} from './schedule-form';

test('slots are read one per line as HH:MM {json}; problems name the server-side field', () => {
  assert.deepEqual(
    parseSlots('06:00 {"mode":"heat","setpoint":55}\n\n# night\n22:00 {"mode":"eco"}', 'rules[0].slots'),
    [
      { time: '06:00', patch: { mode: 'heat', setpoint: 55 } },
      { time: '22:00', patch: { mode: 'eco' } },
    ],
  );
  const bad = (slots: string) =>
    formToSchedule({
      ...EMPTY_SCHEDULE_FORM,
      name: 'x',
      rules: [{ ...EMPTY_SCHEDULE_FORM.rules[0]!, slots }],
    });
  assert.deepEqual(bad('6am {"mode":"heat"}'), {
    ok: false,
    field: 'rules[0].slots[0].time',
    message: '"6am" is not HH:MM',
  });
  const notJson = bad('06:00 {mode:heat}');
  assert.equal(notJson.ok ? '' : notJson.field, 'rules[0].slots[0].patch');
  const arr = bad('06:00 [1]');
  assert.equal(arr.ok ? '' : arr.message, 'must be a JSON object');
});

test('form → schedule → form round trip, with exceptions, holidays and a between range', () => {
  const r = formToSchedule({
    ...EMPTY_SCHEDULE_FORM,
    name: 'boilers',
    models: 'boiler, boiler-x',
    timeoutS: '90',
    rules: [
      {
        name: 'season',
        days: 'weekday',
        holidays: '',
        from: '10-01',
        to: '04-30',
        rrule: '',
        slots: '06:00 {"setpoint":55}',
      },
      {
        name: 'hol',
        days: '',
        holidays: 'de-be',
        from: '',
        to: '',
        rrule: 'FREQ=YEARLY',
        slots: '08:00 {"setpoint":50}',
      },
    ],
    exceptions: '2026-12-24 12:00 {"mode":"eco"}\n2026-12-24 18:00 {"mode":"off"}\n2026-12-31 -',
    holidays: 'de-be: 2026-12-25, 2026-12-26',
  });
  assert.ok(r.ok);
  if (!r.ok) return;
  const b = r.body as Schedule;
  assert.deepEqual(b.targets, { devices: [], models: ['boiler', 'boiler-x'], tags: [] });
  assert.equal(b.verify?.timeoutMs, 90_000);
  assert.deepEqual(b.rules?.[0]?.when, { days: ['weekday'], between: { from: '10-01', to: '04-30' } });
  assert.deepEqual(b.rules?.[1]?.when, { holidays: ['de-be'], rrule: 'FREQ=YEARLY' });
  assert.deepEqual(b.exceptions, [
    {
      date: '2026-12-24',
      slots: [
        { time: '12:00', patch: { mode: 'eco' } },
        { time: '18:00', patch: { mode: 'off' } },
      ],
    },
    { date: '2026-12-31', slots: [] },
  ]);
  assert.deepEqual(b.holidays, { 'de-be': ['2026-12-25', '2026-12-26'] });
  const again = formToSchedule(scheduleToForm(b));
  assert.deepEqual(again.ok && again.body, r.body);
  const half = formToSchedule({
    ...EMPTY_SCHEDULE_FORM,
    name: 'x',
    rules: [{ ...EMPTY_SCHEDULE_FORM.rules[0]!, from: '10-01' }],
  });
  assert.equal(half.ok ? '' : half.field, 'rules[0].when.between');
  const noName = formToSchedule(EMPTY_SCHEDULE_FORM);
  assert.equal(noName.ok ? '' : noName.field, 'name');
});

test('an error field belongs to its input and the inputs inside it, not to a sibling', () => {
  assert.ok(fieldMatches('rules[1].slots', 'rules[1].slots[0].time'));
  assert.ok(fieldMatches('timezone', 'timezone'));
  assert.ok(!fieldMatches('rules[1].slots', 'rules[10].slots[0].time'));
  assert.ok(!fieldMatches('name', 'rules[0].name'));
  assert.ok(!fieldMatches('name', undefined));
});

test('the year grid has every day (leap years too), grouped writes, holidays and exceptions', () => {
  const s = {
    holidays: { 'de-be': ['2028-12-25'] },
    exceptions: [{ date: '2028-12-24', slots: [] }],
  } as Schedule;
  const writes = [
    { at: 1, date: '2028-02-29', time: '06:00', source: 'weekday', patch: {} },
    { at: 2, date: '2028-02-29', time: '22:00', source: 'weekday', patch: {} },
    { at: 3, date: '2027-12-31', time: '23:30', source: 'rest', patch: {} },
  ];
  const months = yearGrid(2028, writes, s);
  assert.equal(months.length, 12);
  assert.equal(months.flat().length, 366);
  assert.equal(yearGrid(2027, [], s).flat().length, 365);
  const leap = months[1]!.at(-1)!;
  assert.deepEqual([leap.date, leap.source, leap.writes.length], ['2028-02-29', 'weekday', 2]);
  assert.equal(months[0]![0]!.source, undefined, 'a write from the previous year stays there');
  assert.deepEqual(months[11]![24]!.holidays, ['de-be']);
  assert.equal(months[11]![23]!.exception, true);
});

test('today is read in the schedule zone', () => {
  const t = Date.UTC(2026, 11, 31, 23, 30);
  assert.equal(todayIn('Europe/Berlin', t), '2027-01-01');
  assert.equal(todayIn('America/New_York', t), '2026-12-31');
});
