/**
 * Two nodes (two jobs modules) on one PostgreSQL schema: concurrent scheduler passes release each
 * target exactly once, and two devices' updates racing on one execution through different nodes
 * are decided by the version compare-and-set — one accepted, one VersionMismatch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { startHarness } from './test-harness.js';

test('postgres: two nodes release each target once and decide racing updates by version', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await freshPgSchema('jobsnodes');
  t.after(() => db.drop());
  const ids = Array.from({ length: 60 }, (_, i) => `n${i}`);
  const a = await startHarness(ids, db);
  const b = await startHarness(ids, db);
  t.after(async () => {
    await a.close();
    await b.close();
  });
  await a.jobs.service.create({
    jobId: 'j',
    document: { v: 1 },
    targets: { deviceIds: ids },
    jobExecutionsRolloutConfig: { maximumPerMinute: 25 },
  });
  for (let i = 0; i < 4; i++) await Promise.all([a.advance(60_000), b.advance(60_000)]);
  await Promise.all([a.jobs.idle(), b.jobs.idle()]);
  const all = await a.jobs.service.executions({ jobId: 'j', all: true, limit: 1000, offset: 0 });
  assert.equal(all.length, 60, 'one execution per target');
  assert.ok(all.every((e) => e.executionNumber === 1));
  const c = await b.jobs.service.status('j');
  assert.deepEqual([c.progress.QUEUED, c.progress.PENDING_ROLLOUT], [60, 0]);

  const T = '$aws/things/n0/jobs/j/update';
  const [x, y] = await Promise.all([
    a.request('n0', T, { status: 'IN_PROGRESS', expectedVersion: 1, statusDetails: { via: 'a' } }),
    b.request('n0', T, { status: 'IN_PROGRESS', expectedVersion: 1, statusDetails: { via: 'b' } }),
  ]);
  assert.deepEqual([x.ok, y.ok].sort(), [false, true]);
  const lost = x.ok ? y : x;
  assert.equal(lost.body.code, 'VersionMismatch');
  const e = await a.jobs.store.getExecution('j', 'n0');
  assert.equal(e?.versionNumber, 2);
});
