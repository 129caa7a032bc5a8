/**
 * Rollout rate, exponential rollout, timeouts, retries, abort criteria, health gates, continuous
 * targets and completion — on a manual clock (no sleeping), through the device API as devices use it.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TsunaguEvents } from '../core/index.js';
import { startHarness, type Harness } from './test-harness.js';

const MIN = 60_000;
const T = (d: string) => `$aws/things/${d}/jobs`;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const devices = (n: number, prefix = 'd') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const counts = async (id: string) => (await h!.jobs.service.status(id)).progress;

async function create(body: Record<string, unknown>): Promise<void> {
  await h!.jobs.service.create({ document: { op: 'fw' }, targets: {}, ...body });
  await h!.jobs.idle();
}

test('maximumPerMinute releases at most that many per minute, in target order', async () => {
  h = await startHarness(devices(5));
  await create({
    jobId: 'j',
    targets: { deviceIds: devices(5) },
    jobExecutionsRolloutConfig: { maximumPerMinute: 2 },
  });
  assert.deepEqual([(await counts('j')).QUEUED, (await counts('j')).PENDING_ROLLOUT], [2, 3]);
  assert.equal(h.sent(`${T('d0')}/notify-next`).length, 1, 'released devices hear notify-next');
  assert.equal(h.sent(`${T('d2')}/notify-next`).length, 0);
  await h.advance(30_000);
  assert.equal((await counts('j')).QUEUED, 2, 'not before the minute is over');
  await h.advance(30_000);
  assert.equal((await counts('j')).QUEUED, 4);
  await h.advance(MIN);
  assert.deepEqual([(await counts('j')).QUEUED, (await counts('j')).PENDING_ROLLOUT], [5, 0]);
});

test('exponential rollout: the rate is multiplied each time the notified criterion is met', async () => {
  h = await startHarness(devices(10));
  await create({
    jobId: 'j',
    targets: { deviceIds: devices(10) },
    jobExecutionsRolloutConfig: {
      maximumPerMinute: 100,
      exponentialRate: {
        baseRatePerMinute: 1,
        incrementFactor: 2,
        rateIncreaseCriteria: { numberOfNotifiedThings: 1 },
      },
    },
  });
  const seen: number[] = [(await counts('j')).QUEUED];
  for (let i = 0; i < 3; i++) {
    await h.advance(MIN);
    seen.push((await counts('j')).QUEUED);
  }
  assert.deepEqual(seen, [1, 3, 7, 10]);
});

test('exponential rollout on succeeded things waits for successes', async () => {
  h = await startHarness(devices(6));
  await create({
    jobId: 'j',
    targets: { deviceIds: devices(6) },
    jobExecutionsRolloutConfig: {
      exponentialRate: {
        baseRatePerMinute: 1,
        incrementFactor: 3,
        rateIncreaseCriteria: { numberOfSucceededThings: 1 },
      },
    },
  });
  await h.advance(MIN);
  assert.equal((await counts('j')).QUEUED, 2, 'rate stays 1 without successes');
  await h.request('d0', `${T('d0')}/j/update`, { status: 'SUCCEEDED' });
  await h.advance(MIN);
  await h.advance(MIN);
  const c = await counts('j');
  assert.equal(c.QUEUED + c.SUCCEEDED, 6, 'after a success the rate grew to 3 per minute');
});

test('in-progress timeout → TIMED_OUT, and a TIMED_OUT retry is a new execution', async () => {
  h = await startHarness(['d0']);
  await create({
    jobId: 'j',
    targets: { deviceIds: ['d0'] },
    timeoutConfig: { inProgressTimeoutInMinutes: 10 },
    jobExecutionsRetryConfig: { criteriaList: [{ failureType: 'TIMED_OUT', numberOfRetries: 1 }] },
  });
  const started = await h.request('d0', `${T('d0')}/start-next`, {});
  assert.equal((started.body.execution as { status: string }).status, 'IN_PROGRESS');
  await h.advance(9 * MIN);
  assert.equal((await h.jobs.store.getExecution('j', 'd0'))?.status, 'IN_PROGRESS');
  await h.advance(MIN);
  assert.equal((await h.jobs.store.getExecution('j', 'd0', 1))?.status, 'TIMED_OUT');
  const retry = await h.jobs.store.getExecution('j', 'd0');
  assert.deepEqual([retry?.executionNumber, retry?.status], [2, 'QUEUED']);
  const next = h.sent(`${T('d0')}/notify-next`).at(-1)!;
  assert.equal((next.execution as { executionNumber: number }).executionNumber, 2);
  await h.request('d0', `${T('d0')}/start-next`, {});
  await h.advance(10 * MIN);
  assert.equal((await h.jobs.store.getExecution('j', 'd0'))?.status, 'TIMED_OUT', 'no retry left');
  assert.equal((await counts('j')).TIMED_OUT, 1);
});

test('step timeout from start-next; an IN_PROGRESS update with a new step timeout resets it', async () => {
  h = await startHarness(['d0']);
  await create({ jobId: 'j', targets: { deviceIds: ['d0'] } });
  await h.request('d0', `${T('d0')}/start-next`, { stepTimeoutInMinutes: 2 });
  await h.advance(90_000);
  const up = await h.request('d0', `${T('d0')}/j/update`, {
    status: 'IN_PROGRESS',
    stepTimeoutInMinutes: 5,
    statusDetails: { step: 'download' },
  });
  assert.equal(up.ok, true);
  await h.advance(4 * MIN);
  assert.equal(
    (await h.jobs.store.getExecution('j', 'd0'))?.status,
    'IN_PROGRESS',
    'the new step timer replaced the old one',
  );
  await h.advance(MIN);
  const e = await h.jobs.store.getExecution('j', 'd0');
  assert.deepEqual([e?.status, e?.statusDetails], ['TIMED_OUT', { step: 'download' }]);
  const rejected = await h.request('d0', `${T('d0')}/j/update`, { status: 'SUCCEEDED' });
  assert.equal(rejected.body.code, 'InvalidStateTransition');
});

test('retries per failure type: FAILED twice retried, the third failure stays', async () => {
  h = await startHarness(['d0']);
  await create({
    jobId: 'j',
    targets: { deviceIds: ['d0'] },
    jobExecutionsRetryConfig: {
      criteriaList: [
        { failureType: 'FAILED', numberOfRetries: 2 },
        { failureType: 'TIMED_OUT', numberOfRetries: 0 },
      ],
    },
  });
  for (let n = 1; n <= 3; n++) {
    const r = await h.request('d0', `${T('d0')}/j/update`, { status: 'FAILED', executionNumber: n });
    assert.equal(r.ok, true, JSON.stringify(r.body));
  }
  const all = await h.jobs.service.executions({ jobId: 'j', all: true, limit: 10, offset: 0 });
  assert.deepEqual(all.map((e) => [e.executionNumber, e.status]).sort(), [
    [1, 'FAILED'],
    [2, 'FAILED'],
    [3, 'FAILED'],
  ]);
  assert.equal((await h.jobs.store.pendingFor('d0')).length, 0);
});

test('abort criteria: FAILED at 50% of at least 4 executed cancels the job and its queued executions', async () => {
  h = await startHarness(devices(10));
  const stopped: TsunaguEvents['job.rollout-stopped'][] = [];
  h.bus.on('job.rollout-stopped', (e) => stopped.push(e));
  await create({
    jobId: 'j',
    targets: { deviceIds: devices(10) },
    abortConfig: {
      criteriaList: [
        { failureType: 'FAILED', action: 'CANCEL', thresholdPercentage: 50, minNumberOfExecutedThings: 4 },
      ],
    },
  });
  for (const [d, status] of [
    ['d0', 'FAILED'],
    ['d1', 'FAILED'],
    ['d2', 'SUCCEEDED'],
  ] as const)
    await h.request(d, `${T(d)}/j/update`, { status });
  await h.advance(1000);
  assert.equal((await h.jobs.service.get('j')).status, 'IN_PROGRESS', 'only 3 executed: below the minimum');
  await h.request('d3', `${T('d3')}/j/update`, { status: 'IN_PROGRESS' });
  await h.request('d3', `${T('d3')}/j/update`, { status: 'SUCCEEDED' });
  await h.request('d4', `${T('d4')}/j/update`, { status: 'FAILED' });
  await h.advance(1000);
  const job = await h.jobs.service.get('j');
  assert.equal(job.status, 'CANCELED');
  assert.match(job.reason ?? '', /abort criterion met: FAILED 60\.0% ≥ 50%/);
  const c = await counts('j');
  assert.deepEqual([c.CANCELED, c.FAILED, c.SUCCEEDED, c.QUEUED], [5, 3, 2, 0]);
  assert.equal(stopped.length, 1);
  assert.equal(stopped[0]?.action, 'canceled');
  const late = await h.request('d9', `${T('d9')}/j/update`, { status: 'SUCCEEDED' });
  assert.equal(late.body.code, 'TerminalStateReached');
  assert.ok((await h.jobs.service.timelineOf('j')).some((t) => t.event === 'canceled'));
});

test('health gate: the updated group raising hardware errors pauses the rollout with the reason', async () => {
  h = await startHarness(devices(10));
  const stopped: TsunaguEvents['job.rollout-stopped'][] = [];
  h.bus.on('job.rollout-stopped', (e) => stopped.push(e));
  await create({
    jobId: 'j',
    targets: { deviceIds: devices(10) },
    jobExecutionsRolloutConfig: { maximumPerMinute: 4 },
    healthGate: {
      soakMinutes: 5,
      signals: ['hardware_error'],
      marginPercent: 20,
      minDevices: 3,
      action: 'PAUSE',
    },
  });
  for (const d of devices(4)) await h.request(d, `${T(d)}/${'j'}/update`, { status: 'SUCCEEDED' });
  await h.advance(MIN);
  assert.equal((await counts('j')).PENDING_ROLLOUT, 6, 'no release during the soak');
  const bad = (d: string) =>
    h!.bus.emit('device.message', {
      deviceId: d,
      at: h!.clock.now(),
      topic: `devices/${d}/status`,
      kind: 'event',
      decoded: true,
      hardwareError: true,
    });
  for (const d of ['d0', 'd1', 'd2', 'd5']) bad(d);
  await h.jobs.idle();
  await h.advance(MIN);
  const job = await h.jobs.service.get('j');
  assert.equal(job.status, 'PAUSED');
  assert.match(job.reason ?? '', /health gate: 75\.0% of 4 updated devices unhealthy vs 16\.7% of 6 others/);
  assert.deepEqual(
    stopped.map((e) => e.action),
    ['paused'],
  );
  assert.ok((await h.jobs.service.timelineOf('j')).some((t) => t.event === 'health-gate'));
  await h.advance(10 * MIN);
  assert.equal((await counts('j')).PENDING_ROLLOUT, 6, 'a paused job releases nothing');
});

test('health gate: equal health in both groups lets the rollout go on after the soak', async () => {
  h = await startHarness(devices(8));
  await create({
    jobId: 'j',
    targets: { deviceIds: devices(8) },
    jobExecutionsRolloutConfig: { maximumPerMinute: 4 },
    healthGate: {
      soakMinutes: 2,
      signals: ['heartbeat_lost'],
      marginPercent: 20,
      minDevices: 2,
      action: 'CANCEL',
    },
  });
  for (const d of devices(4)) await h.request(d, `${T(d)}/j/update`, { status: 'SUCCEEDED' });
  for (const d of ['d0', 'd4'])
    h.bus.emit('heartbeat.checked', { deviceId: d, at: h.clock.now() + 1, received: false });
  await h.jobs.idle();
  await h.advance(MIN);
  assert.equal((await counts('j')).PENDING_ROLLOUT, 4, 'still soaking');
  await h.advance(MIN);
  assert.equal((await h.jobs.service.get('j')).status, 'IN_PROGRESS');
  assert.equal((await counts('j')).PENDING_ROLLOUT, 0);
});

test('continuous jobs reach devices that match later; a deleted device’s execution is REMOVED', async () => {
  h = await startHarness();
  h.directory.add('s1', 'scooter');
  await create({ jobId: 'j', targets: { models: ['scooter'] }, targetSelection: 'CONTINUOUS' });
  h.directory.add('s2', 'scooter');
  h.bus.emit('device.changed', { deviceId: 's2', change: 'created', model: 'scooter', at: 1 });
  await h.jobs.idle();
  assert.deepEqual(
    (await h.jobs.store.pendingFor('s2')).map((e) => e.jobId),
    ['j'],
  );
  h.bus.emit('device.changed', { deviceId: 's1', change: 'deleted', at: 2 });
  await h.jobs.idle();
  assert.equal((await h.jobs.store.getExecution('j', 's1'))?.status, 'REMOVED');
  assert.equal(
    h.sent(`${T('s1')}/notify`).at(-1)?.jobs &&
      Object.keys(h.sent(`${T('s1')}/notify`).at(-1)!.jobs as object).length,
    0,
  );
});

test('device changes in one turn share one read of the active jobs, and each device is added', async () => {
  h = await startHarness();
  await create({ jobId: 'j', targets: { tags: ['new'] }, targetSelection: 'CONTINUOUS' });
  const store = h.jobs.store;
  const activeJobs = store.activeJobs.bind(store);
  let reads = 0;
  store.activeJobs = () => (reads++, activeJobs());
  // An import: 50 devices announced in one turn, one of them not matching.
  for (const id of devices(50)) {
    h.directory.add(id, null, id === 'd7' ? ['other'] : ['new']);
    h.bus.emit('device.changed', { deviceId: id, change: 'created', at: 1 });
  }
  await h.jobs.idle();
  // One for the 50 changes; the rest are the scheduler's own ticks after the kicks (one read
  // per change would be 50 and more).
  assert.ok(reads < 10, `active jobs read ${reads} times for one import of 50 devices`);
  assert.deepEqual(
    (await h.jobs.store.pendingFor('d49')).map((e) => e.jobId),
    ['j'],
  );
  assert.deepEqual(await h.jobs.store.pendingFor('d7'), []);
  assert.equal((await h.jobs.service.status('j')).progress.QUEUED, 49);
});

test('a snapshot job completes when every execution is terminal', async () => {
  h = await startHarness(['a', 'b']);
  await create({ jobId: 'j', targets: { deviceIds: ['a', 'b'] } });
  await h.request('a', `${T('a')}/j/update`, { status: 'SUCCEEDED' });
  await h.advance(1000);
  assert.equal((await h.jobs.service.get('j')).status, 'IN_PROGRESS');
  await h.request('b', `${T('b')}/j/update`, { status: 'REJECTED' });
  await h.advance(1000);
  const job = await h.jobs.service.get('j');
  assert.deepEqual([job.status, job.completedAt], ['COMPLETED', h.clock.now()]);
});
