import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.js';
import { BUSY, SlowLane } from './slow-lane.js';

function deferred(): { promise: Promise<string>; resolve: (v: string) => void } {
  let resolve!: (v: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  return { promise, resolve };
}

test('bounded concurrency: the rest wait in order; a full queue answers BUSY at once', async () => {
  const lane = new SlowLane(new ManualClock(), { concurrency: 2, maxQueued: 2, maxWaitMs: 60_000 });
  const jobs = Array.from({ length: 4 }, deferred);
  const started: number[] = [];
  const results = jobs.map((j, i) =>
    lane.run(() => {
      started.push(i);
      return j.promise;
    }),
  );
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual(lane.stats(), { running: 2, queued: 2 });
  assert.equal(await lane.run(() => Promise.resolve('x')), BUSY);
  jobs[1]!.resolve('b');
  assert.equal(await results[1], 'b');
  assert.deepEqual(started, [0, 1, 2]);
  for (const j of jobs) j.resolve('done');
  assert.deepEqual(await Promise.all(results), ['done', 'b', 'done', 'done']);
  assert.deepEqual(lane.stats(), { running: 0, queued: 0 });
});

test('a waiter queued longer than maxWaitMs is turned away BUSY instead of run late', async () => {
  const clock = new ManualClock();
  const lane = new SlowLane(clock, { concurrency: 1, maxQueued: 10, maxWaitMs: 1000 });
  const first = deferred();
  const a = lane.run(() => first.promise);
  let ran = false;
  const b = lane.run(async () => {
    ran = true;
    return 'late';
  });
  clock.advance(1001);
  first.resolve('a');
  assert.equal(await a, 'a');
  assert.equal(await b, BUSY);
  assert.equal(ran, false);
});

test('a failing job frees its slot and rejects only its own caller', async () => {
  const lane = new SlowLane(new ManualClock(), { concurrency: 1, maxQueued: 10, maxWaitMs: 1000 });
  const bad = lane.run(() => Promise.reject(new Error('boom')));
  const good = lane.run(() => Promise.resolve('ok'));
  await assert.rejects(bad, /boom/);
  assert.equal(await good, 'ok');
});
