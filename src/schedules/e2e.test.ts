/**
 * End to end: the whole platform on a manual clock, mqtt.js boilers on the shadow topics that apply
 * or refuse what they are sent. Slot writes, verification, re-sends until FAILED, catch-up on
 * reconnect, manual overrides and restarts (nothing replayed).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, type TsunaguEvents } from '../core/index.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { until } from '../test-support/until.js';
import { api, boiler, register, type Body, type Boiler } from './e2e-helpers.js';
import type { SchedulesModule } from './index.js';

const MIN = 60_000;
// Monday 2026-03-02, 05:59 in Berlin (CET, UTC+1).
const START = Date.UTC(2026, 2, 2, 4, 59);

const plan = (devices: string[]) => ({
  name: 'boilers',
  timezone: 'Europe/Berlin',
  targets: { devices },
  rules: [
    {
      name: 'daily',
      when: {},
      slots: [
        { time: '06:00', patch: { mode: 'heat', setpoint: 55 } },
        { time: '22:00', patch: { mode: 'eco', setpoint: 40 } },
      ],
    },
  ],
  verify: { timeoutMs: MIN, attempts: 5, backoffMs: 10_000, maxBackoffMs: 60_000 },
});

describe('schedules end to end with mqtt.js boilers', () => {
  let p: TestPlatform;
  let clock: ManualClock;
  let mod: SchedulesModule;
  let id: string;
  const boilers: Record<string, Boiler> = {};
  const secrets: Record<string, string> = {};
  const finished: TsunaguEvents['schedule.execution'][] = [];

  const executions = async (device: string): Promise<Body[]> =>
    (await api(p, 'GET', `/devices/${device}/schedule-executions`)).body.items as Body[];
  const latest = async (device: string): Promise<Body> => (await executions(device))[0]!;
  /** Move the manual clock and let the executor's work (and the devices' answers) finish. */
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await mod.idle();
  };

  before(async () => {
    clock = new ManualClock(START);
    p = await startTestPlatform({}, { clock, keepDataDir: true });
    mod = p.app.modules.find((m) => m.name === 'schedules') as SchedulesModule;
    p.app.bus.on('schedule.execution', (e) => finished.push(e));
    for (const d of ['b-ok', 'b-bad', 'b-off']) secrets[d] = await register(p, d);
    boilers['b-ok'] = await boiler(p, 'b-ok', secrets['b-ok']!, true);
    boilers['b-bad'] = await boiler(p, 'b-bad', secrets['b-bad']!, false);
  });
  after(async () => {
    for (const b of Object.values(boilers)) await b.close();
    await p.close();
  });

  test('a new schedule applies the state due now (yesterday 22:00), nothing older', async () => {
    const r = await api(p, 'POST', '/schedules', plan(['b-ok', 'b-bad', 'b-off']));
    assert.equal(r.status, 201);
    id = r.body.id as string;
    await mod.idle();
    await until('b-ok verified the startup state', async () => (await latest('b-ok')).status === 'verified');
    const e = await latest('b-ok');
    assert.deepEqual(
      [e.kind, e.slotDate, e.slotTime, e.patch],
      ['startup', '2026-03-01', '22:00', { mode: 'eco', setpoint: 40 }],
    );
    assert.equal((await executions('b-ok')).length, 1);
    assert.equal((await latest('b-off')).status, 'offline');
  });

  test('06:00: written as schedule:<id>, verified when the boiler reports', async () => {
    await advance(MIN);
    await until('b-ok verified 06:00', async () => {
      const e = await latest('b-ok');
      return e.slotTime === '06:00' && e.status === 'verified';
    });
    const hist = await api(p, 'GET', '/devices/b-ok/shadow/history');
    const writes = (hist.body.items as Body[]).filter((h) => h.actor?.id === `schedule:${id}`);
    assert.ok(writes.length >= 2, 'slot writes recorded in shadow history under schedule:<id>');
    assert.deepEqual(boilers['b-ok']!.deltas.at(-1), { mode: 'heat', setpoint: 55 });
    assert.ok(
      finished.some((f) => f.deviceId === 'b-ok' && f.status === 'verified' && f.slotAt === START + MIN),
    );
  });

  test('a refusing boiler is re-sent up to 5 attempts, then FAILED with the reason and an event', async () => {
    for (let i = 0; i < 12 && (await latest('b-bad')).status === 'sent'; i++) await advance(2 * MIN);
    const e = await latest('b-bad');
    assert.equal(e.status, 'failed');
    assert.equal(e.attempts, 5);
    assert.match(e.reason as string, /setpoint: reported null, desired 55/);
    const heat = () => boilers['b-bad']!.deltas.filter((d) => d.mode === 'heat' && d.setpoint === 55).length;
    await until('5 deltas for 06:00 reached b-bad', () => heat() === 5);
    const ev = finished.find((f) => f.deviceId === 'b-bad' && f.status === 'failed');
    assert.ok(ev && /after 5 attempts/.test(ev.reason ?? ''));
  });

  test('a manual desired change wins until the next slot and is recorded as an override', async () => {
    const r = await api(p, 'POST', '/devices/b-ok/shadow', { state: { desired: { setpoint: 61 } } });
    assert.equal(r.status, 200);
    await mod.idle();
    const o = (await api(p, 'GET', `/schedules/${id}/overrides`)).body as Body[];
    assert.deepEqual(
      o.map((x) => [x.deviceId, x.mode, x.keys]),
      [['b-ok', 'until_next_slot', ['setpoint']]],
    );
    assert.match(o[0]!.actor as string, /^token:/);
    await advance(60 * MIN); // no slot: the manual value stays
    assert.equal((await latest('b-ok')).slotTime, '06:00');
  });

  test('an offline boiler gets only the current state when it connects (catch-up)', async () => {
    // Move to 22:05: the 22:00 slot supersedes b-off's open 06:00 execution and clears b-ok's override.
    await advance(Date.UTC(2026, 2, 2, 21, 5) - clock.now());
    const offs = await executions('b-off');
    assert.deepEqual(
      offs.map((e) => [e.slotTime, e.status]),
      [
        ['22:00', 'offline'],
        ['06:00', 'superseded'],
        ['22:00', 'superseded'],
      ],
      JSON.stringify(offs.map((e) => [e.slotDate, e.slotTime, e.status, e.kind])),
    );
    assert.deepEqual((await api(p, 'GET', `/schedules/${id}/overrides`)).body, []);
    await until(
      'b-ok verified 22:00',
      async () => (await latest('b-ok')).status === 'verified' && (await latest('b-ok')).slotTime === '22:00',
    );
    boilers['b-off'] = await boiler(p, 'b-off', secrets['b-off']!, true);
    await advance(3000); // the catch-up delay
    await until('b-off verified the current slot', async () => (await latest('b-off')).status === 'verified');
    // It fetched its shadow on connect (and may see the catch-up write's delta too): only the
    // current state ever reached it, never the 06:00 it missed.
    assert.ok(boilers['b-off'].deltas.length >= 1);
    for (const d of boilers['b-off'].deltas)
      assert.deepEqual(d, { mode: 'eco', setpoint: 40 }, 'no missed slot replayed');
    assert.equal((await latest('b-off')).slotTime, '22:00');
  });

  test('restart: applies what is due now, never replays the past', async () => {
    const dataDir = p.dataDir;
    for (const b of Object.values(boilers)) await b.close();
    for (const k of Object.keys(boilers)) delete boilers[k];
    await p.close();
    // Down over 06:00 and 22:00 of Tuesday; back at Wednesday 07:00 Berlin.
    clock = new ManualClock(Date.UTC(2026, 2, 4, 6, 0));
    p = await startTestPlatform({ dataDir }, { clock });
    mod = p.app.modules.find((m) => m.name === 'schedules') as SchedulesModule;
    await mod.idle();
    const ok = await executions('b-ok');
    const fresh = ok.filter((e) => e.slotDate >= '2026-03-03');
    assert.deepEqual(
      fresh.map((e) => [e.kind, e.slotDate, e.slotTime, e.status]),
      [['startup', '2026-03-04', '06:00', 'offline']],
    );
    boilers['b-ok'] = await boiler(p, 'b-ok', secrets['b-ok']!, true);
    await advance(3000);
    await until(
      'b-ok verified after restart',
      async () => (await latest('b-ok')).status === 'verified',
      5000,
    ).catch(async (err: unknown) => {
      console.log(JSON.stringify(await executions('b-ok')));
      throw err;
    });
  });
});
