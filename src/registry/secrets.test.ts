import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEVICE_SECRET_BYTES,
  hashGeneratedSecret,
  hashScheme,
  hashSecret,
  isSlowHash,
  looksGenerated,
  newDeviceSecret,
  verifySecret,
} from './secrets.js';

test('generated device secrets carry at least 128 bits (192) and are recognised as generated', () => {
  assert.ok(DEVICE_SECRET_BYTES * 8 >= 128);
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const s = newDeviceSecret();
    assert.equal(Buffer.from(s, 'base64url').length, DEVICE_SECRET_BYTES);
    assert.ok(looksGenerated(s), s);
    seen.add(s);
  }
  assert.equal(seen.size, 100);
  assert.equal(looksGenerated('correct horse battery staple'), false);
  assert.equal(looksGenerated('a'.repeat(31)), false);
});

test('hash formats are self-describing and both verify, in constant-time compares', async () => {
  const s = newDeviceSecret();
  const fast = hashGeneratedSecret(s);
  const slow = await hashSecret(s, 1024);
  assert.match(fast, /^sha256\$[A-Za-z0-9_-]{43}$/);
  assert.match(slow, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
  assert.equal(hashScheme(fast), 'sha256');
  assert.equal(hashScheme(slow), 'scrypt');
  assert.equal(isSlowHash(fast), false);
  assert.equal(isSlowHash(slow), true);
  assert.equal(await verifySecret(s, fast), true);
  assert.equal(await verifySecret(s, slow), true);
  assert.equal(await verifySecret(s + 'x', fast), false);
  assert.equal(await verifySecret(s + 'x', slow), false);
  assert.equal(hashGeneratedSecret(s), fast, 'deterministic: no salt needed for 192 random bits');
});

test('unknown or damaged hashes never verify', async () => {
  const s = newDeviceSecret();
  assert.equal(hashScheme('md5$abc'), undefined);
  assert.equal(await verifySecret(s, 'md5$abc'), false);
  assert.equal(await verifySecret(s, ''), false);
  assert.equal(await verifySecret(s, 'sha256$'), false);
  assert.equal(await verifySecret(s, 'sha256$short'), false);
  assert.equal(await verifySecret(s, 'scrypt$1024$8$1$only-five'), false);
});
