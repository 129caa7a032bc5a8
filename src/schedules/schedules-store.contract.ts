/** The contract every SchedulesStore adapter passes (run by schedules-store.test.ts on SQLite and PostgreSQL). */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Execution } from './execution.js';
import type { SchedulesStore } from './schedules-store.js';
import { DEFAULT_VERIFY, type Schedule } from './types.js';

export type OpenStore = (t: TestContext) => Promise<SchedulesStore | undefined>;

export const sampleSchedule = (id: string, name = id): Schedule => ({
  id,
  name,
  enabled: true,
  timezone: 'Europe/Berlin',
  zoneAttribute: 'timezone',
  targets: { devices: ['b1'], models: [], tags: [] },
  shadowName: '',
  rules: [{ name: 'all', when: {}, slots: [{ time: '06:00', patch: { mode: 'heat' } }] }],
  exceptions: [],
  holidays: {},
  overrideMode: 'until_next_slot',
  verify: { ...DEFAULT_VERIFY },
  version: 1,
  createdAt: 1,
  updatedAt: 1,
});

const execution = (
  id: string,
  deviceId: string,
  slotAt: number,
  over: Partial<Execution> = {},
): Execution => ({
  id,
  scheduleId: 's1',
  deviceId,
  shadowName: '',
  slotAt,
  slotDate: '2026-01-01',
  slotTime: '06:00',
  kind: 'slot',
  patch: { mode: 'heat', setpoint: 55 },
  status: 'sent',
  attempts: 1,
  nextCheckAt: slotAt + 60_000,
  reason: null,
  createdAt: slotAt,
  updatedAt: slotAt,
  finishedAt: null,
  ...over,
});

export function schedulesStoreContract(open: OpenStore): void {
  test('schedules: create, get, list, compare-and-set update, delete', async (t) => {
    const s = await open(t);
    if (!s) return;
    await s.create(sampleSchedule('s1', 'b-plan'));
    await s.create(sampleSchedule('s2', 'a-plan'));
    assert.deepEqual(await s.get('s1'), sampleSchedule('s1', 'b-plan'));
    assert.deepEqual(
      (await s.list()).map((x) => x.id),
      ['s2', 's1'],
    );
    const next = { ...sampleSchedule('s1', 'b-plan'), version: 2, updatedAt: 5, timezone: 'Asia/Tokyo' };
    assert.equal(await s.update(next, 1), true);
    assert.equal(await s.update({ ...next, version: 3 }, 1), false, 'stale version refused');
    assert.equal((await s.get('s1'))?.timezone, 'Asia/Tokyo');
    await assert.rejects(s.create(sampleSchedule('s1')), 'duplicate id refused');
    assert.equal(await s.delete('s1'), true);
    assert.equal(await s.delete('s1'), false);
    assert.equal(await s.get('s1'), undefined);
  });

  test('executions: one per schedule, device and slot; compare-and-set transitions', async (t) => {
    const s = await open(t);
    if (!s) return;
    const e = execution('e1', 'b1', 1000);
    assert.equal(await s.insertExecution(e), true);
    assert.equal(await s.insertExecution({ ...e, id: 'e1b' }), false, 'same slot twice');
    assert.deepEqual(await s.findExecution('s1', 'b1', 1000), e);
    const verified: Execution = {
      ...e,
      status: 'verified',
      nextCheckAt: null,
      updatedAt: 2000,
      finishedAt: 2000,
    };
    assert.equal(await s.updateExecution(verified, { status: 'sent', attempts: 1 }), true);
    assert.equal(
      await s.updateExecution({ ...e, status: 'failed' }, { status: 'sent', attempts: 1 }),
      false,
      'a racing writer loses',
    );
    assert.deepEqual(await s.getExecution('e1'), verified);
  });

  test('executions: batch insert skips slots that exist and returns the ids written', async (t) => {
    const s = await open(t);
    if (!s) return;
    await s.insertExecution(execution('x0', 'd0', 5000));
    const many = Array.from({ length: 901 }, (_, i) => execution(`x${i}`, `d${i}`, 5000));
    // x0's slot exists (under its own id); a second row for d1's slot in the same call is skipped too.
    const ids = await s.insertExecutions([...many.slice(1), { ...many[1]!, id: 'dup' }]);
    assert.equal(ids.size, 900);
    assert.ok(!ids.has('dup') && !ids.has('x0') && ids.has('x900'));
    assert.deepEqual(await s.findExecution('s1', 'd900', 5000), many[900]);
    assert.equal((await s.listExecutions({ scheduleId: 's1', limit: 1, offset: 0 })).total, 901);
    assert.equal((await s.insertExecutions([])).size, 0);
  });

  test('updateExecutions: a compare-and-set per row, many rows a statement', async (t) => {
    const s = await open(t);
    if (!s) return;
    const many = Array.from({ length: 450 }, (_, i) => execution(`u${i}`, `d${i}`, 5000));
    await s.insertExecutions(many);
    const done = many.map((e, i) => ({
      e: { ...e, status: 'verified' as const, nextCheckAt: null, finishedAt: 6000 + i, updatedAt: 6000 + i },
      expected: { status: e.status, attempts: e.attempts },
    }));
    // u1 moved on elsewhere (attempts 2): its change is refused, the others are written.
    assert.equal(
      await s.updateExecution({ ...many[1]!, attempts: 2 }, { status: 'sent', attempts: 1 }),
      true,
    );
    const ids = await s.updateExecutions(done);
    assert.equal(ids.size, 449);
    assert.ok(!ids.has('u1') && ids.has('u0') && ids.has('u449'));
    assert.deepEqual(await s.getExecution('u449'), done[449]!.e);
    assert.equal((await s.getExecution('u1'))?.status, 'sent');
    assert.equal((await s.updateExecutions(done.slice(0, 3))).size, 0, 'stale expected state');
    assert.equal((await s.updateExecutions([])).size, 0);
  });

  test('executions: open ones, and pages per schedule, device and status', async (t) => {
    const s = await open(t);
    if (!s) return;
    await s.insertExecution(execution('a', 'b1', 1000, { status: 'verified', finishedAt: 1100 }));
    await s.insertExecution(execution('b', 'b1', 2000, { status: 'offline', attempts: 0 }));
    await s.insertExecution(execution('c', 'b2', 2000));
    await s.insertExecution(execution('d', 'b2', 3000, { scheduleId: 's2', status: 'failed', reason: 'x' }));
    assert.deepEqual(
      (await s.openExecutions()).map((x) => x.id),
      ['b', 'c'],
    );
    assert.deepEqual(
      (await s.openExecutions({ deviceId: 'b2' })).map((x) => x.id),
      ['c'],
    );
    assert.deepEqual(
      (await s.openExecutions({ scheduleId: 's2' })).map((x) => x.id),
      [],
    );
    const byDevice = await s.listExecutions({ deviceId: 'b1', limit: 10, offset: 0 });
    assert.equal(byDevice.total, 2);
    assert.deepEqual(
      byDevice.items.map((x) => x.id),
      ['b', 'a'],
      'newest slot first',
    );
    const bySchedule = await s.listExecutions({ scheduleId: 's1', limit: 1, offset: 1 });
    assert.equal(bySchedule.total, 3);
    assert.equal(bySchedule.items.length, 1);
    const failed = await s.listExecutions({ status: 'failed', limit: 10, offset: 0 });
    assert.deepEqual(
      failed.items.map((x) => [x.id, x.reason]),
      [['d', 'x']],
    );
  });

  test('overrides: put replaces, list, clear', async (t) => {
    const s = await open(t);
    if (!s) return;
    await s.create(sampleSchedule('s1'));
    const o = {
      scheduleId: 's1',
      deviceId: 'b1',
      mode: 'until_cleared' as const,
      keys: ['setpoint'],
      actor: 'token:ops',
      at: 5,
      untilAt: null,
    };
    await s.putOverride(o);
    await s.putOverride({ ...o, at: 6 });
    await s.putOverride({ ...o, deviceId: 'b0' });
    assert.deepEqual(await s.getOverride('s1', 'b1'), { ...o, at: 6 });
    assert.deepEqual(
      (await s.listOverrides('s1')).map((x) => x.deviceId),
      ['b0', 'b1'],
    );
    assert.equal(await s.clearOverride('s1', 'b1'), true);
    assert.equal(await s.clearOverride('s1', 'b1'), false);
    assert.equal(await s.getOverride('s1', 'b1'), undefined);
    await s.delete('s1');
    assert.deepEqual(await s.listOverrides('s1'), [], 'deleting a schedule drops its overrides');
  });
}
