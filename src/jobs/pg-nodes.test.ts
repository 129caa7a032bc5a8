/**
 * Two nodes (two jobs modules) on one PostgreSQL schema: concurrent scheduler passes release each
 * target exactly once, and two devices' updates racing on one execution through different nodes
 * are decided by the version compare-and-set — one accepted, one VersionMismatch; an artifact
 * uploaded through one node is served by another from the shared artifacts directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
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

test('postgres: an artifact uploaded through one node is served by another from the shared --artifacts-dir', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await freshPgSchema('jobsart');
  const shared = mkdtempSync(join(tmpdir(), 'jobs-artifacts-'));
  t.after(async () => {
    await db.drop();
    rmSync(shared, { recursive: true, force: true });
  });
  const a = await startHarness(['n0'], db, { artifactsDir: shared });
  const b = await startHarness(['n0'], db, { artifactsDir: shared });
  const lonely = await startHarness(['n0'], db); // its own data directory: not shared
  t.after(async () => {
    await a.close();
    await b.close();
    await lonely.close();
  });
  const bytes = randomBytes(300_000);
  const art = await a.jobs.artifacts.upload(
    Readable.from([bytes]),
    'fw.bin',
    'application/octet-stream',
    true,
  );
  const onB = readFileSync(b.jobs.artifacts.path(art.id));
  assert.equal(createHash('sha256').update(onB).digest('hex'), art.sha256);
  assert.equal(b.jobs.artifacts.dir, shared);
  assert.equal(
    existsSync(lonely.jobs.artifacts.path(art.id)),
    false,
    'a node without the shared dir has no file',
  );
  // Every node signs URLs with the one key kept in the database: b verifies a's URL.
  await a.jobs.service.create({
    jobId: 'j',
    document: { url: `\${tsunagu:artifact-url:fw.bin}` },
    targets: { deviceIds: ['n0'] },
  });
  await a.jobs.idle();
  const got = await b.request('n0', '$aws/things/n0/jobs/j/get', {});
  const url = new URL((got.body.execution as { jobDocument: { url: string } }).jobDocument.url);
  const q = url.searchParams;
  assert.doesNotThrow(() =>
    b.jobs.artifacts.verify(art.id, q.get('device')!, Number(q.get('expires')), q.get('signature')!),
  );
});
