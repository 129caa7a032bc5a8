import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureLimiter } from './auth-limiter.js';

test('failures are limited per address and window; the window resets', () => {
  let now = 1_000_000;
  const l = new FailureLimiter(3, 60_000, () => now);
  for (let i = 0; i < 3; i++) assert.equal(l.fail('10.0.0.1'), undefined);
  assert.equal(l.fail('10.0.0.1'), 60, 'the fourth failure waits out the window');
  assert.equal(l.fail('10.0.0.2'), undefined, 'another address has its own budget');
  now += 30_000;
  assert.equal(l.fail('10.0.0.1'), 30);
  now += 30_000;
  assert.equal(l.fail('10.0.0.1'), undefined, 'a new window');
});
