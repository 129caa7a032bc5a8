import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from './clock.js';

test('ManualClock fires timers in deadline order, including timers set while firing', () => {
  const c = new ManualClock(0);
  const fired: string[] = [];
  c.setTimer(20, () => fired.push('b'));
  c.setTimer(10, () => {
    fired.push('a');
    c.setTimer(5, () => fired.push('a2'));
  });
  const cancel = c.setTimer(12, () => fired.push('cancelled'));
  cancel();
  c.advance(19);
  assert.deepEqual(fired, ['a', 'a2']);
  assert.equal(c.now(), 19);
  c.advance(1);
  assert.deepEqual(fired, ['a', 'a2', 'b']);
});

test('ManualClock: many timers fire in (deadline, creation) order; cancelled ones never; now() is each deadline', () => {
  const c = new ManualClock(0);
  const fired: number[] = [];
  const want: { at: number; seq: number }[] = [];
  const cancels: (() => void)[] = [];
  // A fixed pseudo-random sequence: deadlines collide often, so creation order decides ties.
  let x = 7;
  for (let seq = 0; seq < 5000; seq++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const at = x % 500;
    cancels.push(
      c.setTimer(at, () => {
        assert.equal(c.now(), at);
        fired.push(seq);
      }),
    );
    want.push({ at, seq });
  }
  // Cancel every third (enough to trigger compaction of the heap).
  const cancelled = new Set<number>();
  for (let seq = 0; seq < 5000; seq += 3) {
    cancels[seq]!();
    cancels[seq]!(); // twice is harmless
    cancelled.add(seq);
  }
  c.advance(250);
  c.advance(250);
  const expected = want
    .filter((w) => !cancelled.has(w.seq))
    .sort((a, b) => a.at - b.at || a.seq - b.seq)
    .map((w) => w.seq);
  assert.deepEqual(fired, expected);
  cancels[1]!(); // cancelling a fired timer changes nothing
  c.advance(1000);
  assert.equal(fired.length, expected.length);
});
