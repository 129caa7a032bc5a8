import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.js';
import { addressKey, AuthLimiter, DEFAULT_AUTH_LIMITS, type Admission } from './auth-limiter.js';

const fail = (a: Admission): void => {
  assert.ok(a.ok, 'admitted');
  if (a.ok) a.end('failure');
};

test('per (client id, address): locked out after 5 failures, doubling lockouts, reset by a success', () => {
  const clock = new ManualClock();
  const l = new AuthLimiter(clock);
  for (let i = 0; i < 5; i++) fail(l.begin('d1', '10.0.0.9'));
  const locked = l.begin('d1', '10.0.0.9');
  assert.deepEqual(locked, { ok: false, scope: 'client', retryAfterMs: 1000 });
  clock.advance(999);
  assert.equal(l.begin('d1', '10.0.0.9').ok, false);
  clock.advance(1);
  fail(l.begin('d1', '10.0.0.9')); // 6th failure: 2 s
  assert.deepEqual(l.begin('d1', '10.0.0.9'), { ok: false, scope: 'client', retryAfterMs: 2000 });
  clock.advance(2000);
  fail(l.begin('d1', '10.0.0.9')); // 7th: 4 s
  assert.deepEqual(l.begin('d1', '10.0.0.9'), { ok: false, scope: 'client', retryAfterMs: 4000 });

  // The same id from another address, and another id from this address, are not affected.
  assert.equal(l.begin('d1', '10.0.0.2').ok, true);
  assert.equal(l.begin('d2', '10.0.0.9').ok, true);

  clock.advance(4000);
  const ok = l.begin('d1', '10.0.0.9');
  assert.ok(ok.ok);
  if (ok.ok) ok.end('success');
  for (let i = 0; i < 4; i++) fail(l.begin('d1', '10.0.0.9'));
  assert.equal(l.begin('d1', '10.0.0.9').ok, true, 'the success reset the count');
});

test('lockouts are capped at maxLockoutMs', () => {
  const clock = new ManualClock();
  const l = new AuthLimiter(clock, { ...DEFAULT_AUTH_LIMITS, maxLockoutMs: 5000, addressBurst: 1000 });
  for (let i = 0; i < 40; i++) {
    fail(l.begin('d1', '10.0.0.9'));
    clock.advance(10_000);
  }
  fail(l.begin('d1', '10.0.0.9'));
  assert.deepEqual(l.begin('d1', '10.0.0.9'), { ok: false, scope: 'client', retryAfterMs: 5000 });
});

test('attempts in flight use up the allowance: 400 concurrent attempts get 5 verifications', () => {
  const l = new AuthLimiter(new ManualClock());
  const admitted = Array.from({ length: 400 }, () => l.begin('d1', '10.0.0.9')).filter((a) => a.ok);
  assert.equal(admitted.length, 5);
  for (const a of admitted) if (a.ok) a.end('failure');
  assert.equal(l.begin('d1', '10.0.0.9').ok, false);
  const neutral = l.begin('d1', '10.0.0.3');
  assert.ok(neutral.ok);
  if (neutral.ok) neutral.end('neutral');
  assert.equal(l.size().pairs, 1, 'a neutral end with no failures keeps no entry');
});

test('per address: a token bucket of failures across client ids, refilled over time', () => {
  const clock = new ManualClock();
  const l = new AuthLimiter(clock, { ...DEFAULT_AUTH_LIMITS, addressBurst: 10, addressPerSecond: 2 });
  for (let i = 0; i < 10; i++) fail(l.begin(`spray-${i}`, '10.0.0.9'));
  const refused = l.begin('fresh-id', '10.0.0.9');
  assert.deepEqual(refused, { ok: false, scope: 'address', retryAfterMs: 500 });
  assert.equal(l.begin('fresh-id', '10.0.0.10').ok, true, 'other addresses are not affected');
  clock.advance(500);
  fail(l.begin('fresh-id', '10.0.0.9'));
  assert.equal(l.begin('another', '10.0.0.9').ok, false);
});

test('memory stays bounded under a spray of client ids', () => {
  const clock = new ManualClock();
  const l = new AuthLimiter(clock, { ...DEFAULT_AUTH_LIMITS, maxEntries: 100, addressBurst: 1e9 });
  for (let i = 0; i < 1000; i++) fail(l.begin(`id-${i}`, `10.0.${i % 250}.1`));
  assert.ok(l.size().pairs <= 100);
  assert.ok(l.size().addresses <= 100);
});

test('addressKey: IPv4-mapped IPv6 is IPv4, IPv6 counts per /64', () => {
  assert.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(addressKey('192.0.2.1'), '192.0.2.1');
  assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2::9'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
});
