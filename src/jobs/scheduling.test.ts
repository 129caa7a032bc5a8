/**
 * Scheduled rollouts on a manual clock (starting Thursday 2026-01-01 00:00 UTC): nothing released
 * before the start time or outside a maintenance window, timeline entries at each window edge, and
 * AWS's end behaviours (STOP_ROLLOUT completes with unreleased targets dropped; CANCEL, FORCE_CANCEL).
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './test-harness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T = (d: string) => `$aws/things/${d}/jobs`;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const devices = (n: number) => Array.from({ length: n }, (_, i) => `d${i}`);
const status = (id: string) => h!.jobs.service.status(id);

async function create(body: Record<string, unknown>): Promise<void> {
  await h!.jobs.service.create({ document: { op: 'fw' }, targets: {}, ...body });
  await h!.jobs.idle();
}

test('nothing is released before the start time; everything at it', async () => {
  h = await startHarness(devices(3));
  await create({
    jobId: 'j',
    targets: { deviceIds: devices(3) },
    schedulingConfig: { startTime: '2026-01-01T09:00', timeZone: 'Asia/Tokyo' }, // 00:00 UTC: now
  });
  assert.equal((await status('j')).progress.QUEUED, 3, 'a start time already reached releases at once');
  await create({
    jobId: 'k',
    targets: { deviceIds: devices(3) },
    schedulingConfig: { startTime: '2026-01-01T11:00', timeZone: 'Asia/Tokyo' }, // 02:00 UTC
  });
  let k = await status('k');
  assert.deepEqual(k.schedule, { phase: 'before-start', opensAt: Date.UTC(2026, 0, 1, 2), closesAt: null });
  assert.equal(k.progress.PENDING_ROLLOUT, 3);
  await h.advance(HOUR + 59 * MIN);
  assert.equal((await status('k')).progress.QUEUED, 0, 'not one minute early');
  assert.equal(h.sent(`${T('d0')}/notify-next`).length, 1, 'only job j was announced');
  await h.advance(MIN);
  k = await status('k');
  assert.equal(k.progress.QUEUED, 3);
  assert.equal(k.schedule?.phase, 'open');
});

test('maintenance windows: releases only inside them, at the rollout rate, with timeline edges', async () => {
  h = await startHarness(devices(5));
  await create({
    jobId: 'j',
    targets: { deviceIds: devices(5) },
    jobExecutionsRolloutConfig: { maximumPerMinute: 2 },
    // 02:00–02:02 Berlin (01:00–01:02 UTC) every day: two rate windows of 2 each per day.
    schedulingConfig: {
      timeZone: 'Europe/Berlin',
      maintenanceWindows: [{ recurrence: 'FREQ=DAILY', startTime: '02:00', durationInMinutes: 2 }],
    },
  });
  assert.equal((await status('j')).progress.QUEUED, 0, 'outside the window');
  await h.advance(HOUR);
  assert.equal((await status('j')).progress.QUEUED, 2, 'window open: the first minute');
  await h.advance(MIN);
  assert.equal((await status('j')).progress.QUEUED, 4, 'second minute');
  await h.advance(MIN);
  const closed = await status('j');
  assert.deepEqual([closed.progress.QUEUED, closed.schedule?.phase], [4, 'closed'], 'window closed at 01:02');
  assert.equal(closed.schedule?.opensAt, Date.UTC(2026, 0, 2, 1));
  await h.advance(24 * HOUR - 2 * MIN);
  assert.equal((await status('j')).progress.QUEUED, 5, 'next day’s window');
  const events = (await h.jobs.service.timelineOf('j')).map((e) => e.event);
  assert.deepEqual(
    events.filter((e) => e.startsWith('window-')),
    ['window-opened', 'window-closed', 'window-opened'],
  );
});

test('end time with STOP_ROLLOUT: unreleased targets dropped, the job completes when pending ones finish', async () => {
  h = await startHarness(devices(4));
  await create({
    jobId: 'j',
    targets: { deviceIds: devices(4) },
    jobExecutionsRolloutConfig: { maximumPerMinute: 1 },
    schedulingConfig: { endTime: '2026-01-01T00:01Z' },
  });
  await h.advance(MIN);
  let j = await status('j');
  assert.deepEqual([j.status, j.progress.QUEUED, j.progress.PENDING_ROLLOUT], ['IN_PROGRESS', 1, 3]);
  assert.equal(j.schedule?.phase, 'ended');
  await h.advance(MIN);
  assert.equal((await status('j')).progress.QUEUED, 1, 'no release after the end');
  await h.request('d0', `${T('d0')}/j/update`, { status: 'SUCCEEDED' });
  await h.advance(1000);
  j = await status('j');
  assert.deepEqual([j.status, j.progress.SUCCEEDED, j.progress.PENDING_ROLLOUT], ['COMPLETED', 1, 3]);
  const ended = (await h.jobs.service.timelineOf('j')).filter((e) => e.event === 'schedule-ended');
  assert.deepEqual(
    ended.map((e) => e.detail),
    [{ endBehavior: 'STOP_ROLLOUT', pendingRollout: 3 }],
  );
});

test('end time with CANCEL cancels queued executions; FORCE_CANCEL in-progress ones too', async () => {
  h = await startHarness(devices(2));
  for (const [id, behavior] of [
    ['c', 'CANCEL'],
    ['f', 'FORCE_CANCEL'],
  ] as const)
    await create({
      jobId: id,
      targets: { deviceIds: devices(2) },
      schedulingConfig: { endTime: '2026-01-01T01:00Z', endBehavior: behavior },
    });
  await h.request('d0', `${T('d0')}/c/update`, { status: 'IN_PROGRESS' });
  await h.request('d0', `${T('d0')}/f/update`, { status: 'IN_PROGRESS' });
  await h.advance(HOUR);
  const c = await status('c');
  const f = await status('f');
  assert.deepEqual([c.status, c.progress.CANCELED, c.progress.IN_PROGRESS], ['CANCELED', 1, 1]);
  assert.deepEqual([f.status, f.progress.CANCELED, f.progress.IN_PROGRESS], ['CANCELED', 2, 0]);
  assert.match(f.reason ?? '', /end time reached \(FORCE_CANCEL\)/);
});
