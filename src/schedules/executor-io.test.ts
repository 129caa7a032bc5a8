// The executor's batched I/O on a real SQLite store: calls in one event-loop turn share a
// statement, yet each keeps its own compare-and-set outcome (a second finish of one execution in
// the same turn loses, as it would one at a time).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../core/index.js';
import { openSqlite } from '../store/index.js';
import type { Execution } from './execution.js';
import type { ShadowWriter } from './executor-deps.js';
import { ExecutorIo } from './executor-io.js';
import { createSqliteSchedulesStore } from './sqlite-schedules-store.js';

const exec = (id: string): Execution => ({
  id,
  scheduleId: 's1',
  deviceId: `d-${id}`,
  shadowName: '',
  slotAt: 1000,
  slotDate: '2026-01-01',
  slotTime: '06:00',
  kind: 'slot',
  patch: { mode: 'heat' },
  status: 'sent',
  attempts: 1,
  nextCheckAt: 2000,
  reason: null,
  createdAt: 1000,
  updatedAt: 1000,
  finishedAt: null,
});

test('batched transitions: one statement for a turn, a repeated execution decided after the first', async (t) => {
  const db = openSqlite(':memory:');
  t.after(() => db.close());
  const store = await createSqliteSchedulesStore(db);
  let statements = 0;
  const counted = {
    ...store,
    updateExecutions: (cs: Parameters<typeof store.updateExecutions>[0]) => {
      statements++;
      return store.updateExecutions(cs);
    },
  };
  const calls: number[] = [];
  const shadows: ShadowWriter = {
    update: () => Promise.resolve({}),
    reported: () => Promise.resolve({}),
    updateMany: (items) => {
      calls.push(items.length);
      return Promise.resolve(items.map(() => ({ ok: true as const, value: {} })));
    },
    reportedMany: (keys) => Promise.resolve(keys.map((k) => ({ who: k.deviceId }))),
  };
  const io = new ExecutorIo({ store: counted, shadows, log: silentLogger }, 400);
  const es = Array.from({ length: 5 }, (_, i) => exec(`e${i}`));
  await store.insertExecutions(es);
  const verified = (e: Execution): Execution => ({ ...e, status: 'verified', finishedAt: 3000 });
  const expected = { status: 'sent' as const, attempts: 1 };
  const out = await Promise.all([
    ...es.map((e) => io.set(verified(e), expected)),
    io.set({ ...es[0]!, status: 'failed' }, expected), // the same execution again, same turn
  ]);
  assert.deepEqual(out, [true, true, true, true, true, false]);
  assert.equal(statements, 2, 'one statement for the five, one for the repeat');
  assert.equal((await store.getExecution('e0'))?.status, 'verified');

  const sched = { id: 's1', name: 'p', shadowName: '' } as Parameters<ExecutorIo['write']>[0];
  await Promise.all(es.map((e) => io.write(sched, e.deviceId, { mode: 'heat' })));
  assert.deepEqual(calls, [5], 'five writes, one updateMany');
  assert.deepEqual(await io.reported({ deviceId: 'd-e3', name: '' }), { who: 'd-e3' });
});
