import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openSqlite } from '../store/index.js';
import { CachedDirectory } from './directory.js';
import { openRegistryStore, type RegistryStore } from './registry-store.js';
import type { Device } from './types.js';

const device = (id: string, name = id): Device => ({
  id,
  model: null,
  name,
  tags: [],
  attributes: {},
  enabled: true,
  createdAt: 1,
  updatedAt: 1,
});

/** A real SQLite registry store that counts the reads the directory makes. */
async function countingStore() {
  const db = openSqlite(':memory:');
  const store = await openRegistryStore(db);
  const calls = { getDevice: 0, getDevices: 0 };
  const counted: RegistryStore = Object.assign(Object.create(store) as RegistryStore, {
    getDevice: (id: string) => (calls.getDevice++, store.getDevice(id)),
    getDevices: (ids: readonly string[]) => (calls.getDevices++, store.getDevices(ids)),
  });
  return { store, counted, calls, close: () => db.close() };
}

test('misses asked for in one turn are read together, one statement per 400 ids', async () => {
  const s = await countingStore();
  try {
    const ids = Array.from({ length: 1000 }, (_, i) => `d${i}`);
    await s.store.putDevices(ids.map((id) => device(id)));
    const dir = new CachedDirectory(s.counted);
    // Three modules reacting to the same 1,000 device.changed events, plus a device that is not there.
    const asked = [...ids, ...ids, ...ids, 'missing'].map((id) => dir.getDevice(id));
    const got = await Promise.all(asked);
    assert.equal(s.calls.getDevice, 0, 'no single-row reads');
    assert.equal(s.calls.getDevices, 3, '1,001 distinct ids: three statements');
    assert.deepEqual(
      got.slice(0, 3).map((d) => d?.id),
      ['d0', 'd1', 'd2'],
    );
    assert.equal(got[2999]?.id, 'd999');
    assert.equal(got[3000], undefined);
    await dir.getDevice('d5');
    await dir.getDevice('missing');
    assert.equal(s.calls.getDevices, 3, 'found and missing devices are cached');
  } finally {
    await s.close();
  }
});

test('a device invalidated while its read is in flight is read again, and the old answer not cached', async () => {
  const s = await countingStore();
  try {
    await s.store.putDevices([device('d1', 'before')]);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // The read runs at once and its answer is held back until the gate opens.
    const held: RegistryStore = Object.assign(Object.create(s.counted) as RegistryStore, {
      getDevices: async (ids: readonly string[]) => {
        const found = await s.counted.getDevices(ids);
        await gate;
        return found;
      },
    });
    const dir = new CachedDirectory(held);
    const first = dir.getDevice('d1');
    await new Promise((r) => setImmediate(r));
    assert.equal(s.calls.getDevices, 1, 'the first read was sent');
    await s.store.putDevices([device('d1', 'after')]);
    dir.invalidateDevice('d1');
    const second = dir.getDevice('d1');
    await new Promise((r) => setImmediate(r));
    assert.equal(s.calls.getDevices, 2, 'the caller after the change did not join the old read');
    release();
    assert.equal((await first)?.name, 'before', 'asked before the change');
    assert.equal((await second)?.name, 'after');
    assert.equal(
      (await dir.getDevice('d1'))?.name,
      'after',
      'the old answer was not cached over the new one',
    );
    assert.equal(s.calls.getDevices, 2);
  } finally {
    await s.close();
  }
});
