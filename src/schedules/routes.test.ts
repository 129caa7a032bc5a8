/**
 * The HTTP API on the whole platform (manual clock, no open ports needed for the checks): CRUD with
 * validation errors naming the field, If-Match, audit with before/after, preview, .ics import,
 * executions per schedule, and an "until cleared" override held and cleared.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, type TsunaguEvents } from '../core/index.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { api, register, type Body } from './e2e-helpers.js';
import type { SchedulesModule } from './index.js';

const START = Date.UTC(2026, 2, 28, 12, 0); // Saturday before the spring-forward Sunday in Berlin

const body = (over: Body = {}): Body => ({
  name: 'plan',
  timezone: 'Europe/Berlin',
  targets: { devices: ['x1'] },
  rules: [
    {
      name: 'daily',
      when: {},
      slots: [
        { time: '02:30', patch: { mode: 'night' } },
        { time: '06:00', patch: { mode: 'heat', setpoint: 55 } },
      ],
    },
  ],
  ...over,
});

describe('schedules API', () => {
  let p: TestPlatform;
  let clock: ManualClock;
  let mod: SchedulesModule;
  const audits: TsunaguEvents['audit'][] = [];

  before(async () => {
    clock = new ManualClock(START);
    p = await startTestPlatform({}, { clock });
    mod = p.app.modules.find((m) => m.name === 'schedules') as SchedulesModule;
    p.app.bus.on('audit', (a) => audits.push(a));
    await register(p, 'x1');
  });
  after(() => p.close());

  test('validation errors name the field; unknown ids are 404', async () => {
    const bad = await api(
      p,
      'POST',
      '/schedules',
      body({ rules: [{ name: 'r', when: { days: ['funday'] }, slots: [] }] }),
    );
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.field, 'rules[0].when.days[0]');
    const zone = await api(p, 'POST', '/schedules', body({ timezone: 'Europe/Atlantis' }));
    assert.deepEqual([zone.status, zone.body.error.field], [422, 'timezone']);
    const missing = await api(p, 'POST', '/schedules', { timezone: 'UTC', rules: [] });
    assert.deepEqual([missing.status, missing.body.error.field], [422, 'body.name']);
    assert.equal((await api(p, 'GET', '/schedules/nope')).status, 404);
    const pv = await api(
      p,
      'GET',
      '/schedules/nope/preview?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z',
    );
    assert.equal(pv.status, 404);
  });

  test('create, replace with If-Match, audit before/after, delete', async () => {
    const c = await api(p, 'POST', '/schedules', body({ name: 'temp' }));
    assert.equal(c.status, 201);
    const id = c.body.id as string;
    const put = await p.app.http.inject({
      method: 'PUT',
      url: `/api/v1/schedules/${id}`,
      headers: { ...p.auth, 'if-match': '1' },
      payload: body({ name: 'temp2' }),
    });
    assert.equal(put.statusCode, 200);
    assert.equal((JSON.parse(put.body) as Body).version, 2);
    const stale = await p.app.http.inject({
      method: 'PUT',
      url: `/api/v1/schedules/${id}`,
      headers: { ...p.auth, 'if-match': '1' },
      payload: body(),
    });
    assert.equal(stale.statusCode, 409);
    assert.equal((await api(p, 'DELETE', `/schedules/${id}`)).status, 204);
    assert.equal((await api(p, 'GET', `/schedules/${id}`)).status, 404);
    const mine = audits.filter((a) => a.resource === `schedules/${id}`);
    assert.deepEqual(
      mine.map((a) => a.action),
      ['schedule.create', 'schedule.update', 'schedule.delete'],
    );
    assert.equal((mine[1]!.before as Body).name, 'temp');
    assert.equal((mine[1]!.after as Body).name, 'temp2');
    assert.equal(mine[0]!.actor.kind, 'token');
    assert.equal(mine[2]!.after, null);
  });

  test('preview lists the writes, DST-adjusted, in the device zone when asked', async () => {
    const c = await api(p, 'POST', '/schedules', body({ name: 'preview', targets: {} }));
    const id = c.body.id as string;
    const r = await api(
      p,
      'GET',
      `/schedules/${id}/preview?from=2026-03-29T00:00:00%2B01:00&to=2026-03-30T00:00:00%2B02:00`,
    );
    assert.equal(r.status, 200);
    assert.deepEqual(
      (r.body.writes as Body[]).map((w) => [new Date(w.at as number).toISOString(), w.time]),
      [
        ['2026-03-29T01:00:00.000Z', '02:30'], // the gap: 03:00 CEST
        ['2026-03-29T04:00:00.000Z', '06:00'],
      ],
    );
    assert.equal(
      (await api(p, 'GET', `/schedules/${id}/preview?from=2026-01-01&to=2028-01-01`)).body.error.field,
      'to',
    );
    assert.equal((await api(p, 'GET', `/schedules/${id}/preview?to=2026-01-01`)).body.error.field, 'from');
    await api(p, 'DELETE', `/schedules/${id}`);
  });

  test('.ics import fills a holiday list the rules can name', async () => {
    const c = await api(p, 'POST', '/schedules', body({ name: 'ics', targets: {} }));
    const id = c.body.id as string;
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'BEGIN:VEVENT',
      'UID:h1',
      'DTSTART;VALUE=DATE:20260406',
      'SUMMARY:Ostermontag',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n');
    const r = await api(p, 'POST', `/schedules/${id}/holidays`, {
      list: 'de',
      ics,
      from: '2026-01-01',
      to: '2026-12-31',
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.schedule.holidays, { de: ['2026-04-06'] });
    const bad = await api(p, 'POST', `/schedules/${id}/holidays`, {
      list: 'de',
      ics: 'nope',
      from: '2026-01-01',
      to: '2026-12-31',
    });
    assert.deepEqual([bad.status, bad.body.error.field], [422, 'ics']);
    await api(p, 'DELETE', `/schedules/${id}`);
  });

  test('an "until cleared" override holds over slots until cleared; executions per schedule', async () => {
    const c = await api(p, 'POST', '/schedules', body({ name: 'held', overrideMode: 'until_cleared' }));
    const id = c.body.id as string;
    await mod.idle();
    const first = (await api(p, 'GET', `/schedules/${id}/executions`)).body;
    assert.deepEqual(
      (first.items as Body[]).map((e) => [e.deviceId, e.slotTime, e.status, e.kind]),
      [['x1', '06:00', 'offline', 'startup']],
    );
    await api(p, 'POST', '/devices/x1/shadow', { state: { desired: { mode: 'manual' } } });
    await mod.idle();
    const o = (await api(p, 'GET', `/schedules/${id}/overrides`)).body as Body[];
    assert.deepEqual(
      o.map((x) => [x.deviceId, x.mode, x.keys, x.untilAt]),
      [['x1', 'until_cleared', ['mode'], null]],
    );
    assert.equal((await api(p, 'GET', `/schedules/${id}/executions?status=overridden`)).body.total, 1);
    clock.advance(24 * 3_600_000); // two slots pass: both held
    await mod.idle();
    assert.equal((await api(p, 'GET', `/schedules/${id}/executions`)).body.total, 1);
    assert.equal((await api(p, 'DELETE', `/schedules/${id}/overrides/x1`)).status, 204);
    await mod.idle();
    const after = (await api(p, 'GET', `/schedules/${id}/executions`)).body.items as Body[];
    assert.deepEqual(
      [after[0]!.slotDate, after[0]!.slotTime, after[0]!.status],
      ['2026-03-29', '06:00', 'offline'],
    );
    assert.equal((await api(p, 'DELETE', `/schedules/${id}/overrides/x1`)).status, 404);
    const byDevice = (await api(p, 'GET', '/devices/x1/schedule-executions?limit=1')).body;
    assert.equal(byDevice.items.length, 1);
  });
});
