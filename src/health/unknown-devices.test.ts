import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../core/index.js';
import { UnknownDevices } from './unknown-devices.js';

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test('an unregistered client the directory holds as absent is not looked up again, and health keeps no copy', async () => {
  const absent = new Set<string>();
  const asked: string[] = [];
  const unknown = new UnknownDevices(
    (id) => {
      asked.push(id);
      absent.add(id); // what CachedDirectory does with a miss: a cached null
      return Promise.resolve(false);
    },
    silentLogger,
    (id) => absent.has(id),
  );
  unknown.seen('ghost', 1_000, () => assert.fail('not registered'));
  await settle();
  unknown.seen('ghost', 2_000, () => assert.fail('not registered'));
  await settle();
  assert.deepEqual(asked, ['ghost'], 'the directory remembers the miss');
  // The device is registered: the directory drops its cached miss. The next sign of life looks
  // it up at once, not a minute after the first lookup (health held no miss of its own).
  absent.delete('ghost');
  unknown.seen('ghost', 3_000, () => undefined);
  await settle();
  assert.deepEqual(asked, ['ghost', 'ghost']);
});

test('without a directory cache, an unregistered client is looked up at most once a minute', async () => {
  let asked = 0;
  const unknown = new UnknownDevices(() => (asked++, Promise.resolve(false)), silentLogger);
  unknown.seen('ghost', 1_000, () => undefined);
  await settle();
  unknown.seen('ghost', 30_000, () => undefined);
  await settle();
  assert.equal(asked, 1);
  unknown.seen('ghost', 61_000, () => undefined);
  await settle();
  assert.equal(asked, 2);
});

test('a registered device is replayed once found', async () => {
  let replayed = 0;
  const unknown = new UnknownDevices(
    () => Promise.resolve(true),
    silentLogger,
    () => false,
  );
  unknown.seen('d1', 1_000, () => replayed++);
  await settle();
  assert.equal(replayed, 1);
});
