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
