import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { openSqlite } from '../store/index.js';
import { persistenceContract } from './persistence.contract.js';
import { GroupCommit, MemoryPersistence, type BrokerPersistence, type PersistOp } from './persistence.js';
import { SqlitePersistence } from './persistence-sqlite.js';
import { PostgresPersistence } from './persistence-pg.js';

describe('MemoryPersistence', () => {
  persistenceContract('memory', async () => {
    const p = new MemoryPersistence();
    await p.init();
    return p;
  });
});

describe('SqlitePersistence', () => {
  persistenceContract('sqlite', async () => {
    const p = new SqlitePersistence(openSqlite(':memory:'));
    await p.init();
    return p;
  });
});

describe('PostgresPersistence', () => {
  persistenceContract('postgres', async (t) => {
    if (!(await requirePostgres(t))) return undefined;
    const db = await freshPgSchema('mqtt');
    t.after(() => db.drop());
    const p = new PostgresPersistence(db);
    await p.init();
    return p;
  });
});

describe('GroupCommit', () => {
  /** A MemoryPersistence whose commits wait until released (a slow database). */
  function slowStore(): { store: BrokerPersistence; batches: PersistOp[][]; release: () => void } {
    const mem = new MemoryPersistence();
    const batches: PersistOp[][] = [];
    let gates: (() => void)[] = [];
    const store: BrokerPersistence = {
      kind: 'memory',
      init: () => mem.init(),
      load: () => mem.load(),
      apply: async (ops) => {
        batches.push([...ops]);
        await new Promise<void>((r) => gates.push(r));
        await mem.apply(ops);
      },
    };
    const release = (): void => {
      const g = gates;
      gates = [];
      for (const r of g) r();
    };
    return { store, batches, release };
  }
  const put = (seq: number): PersistOp => ({
    op: 'incoming.put',
    clientId: 'c',
    packetId: seq,
  });
  const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

  test('one batch in flight; what is pushed meanwhile goes out as the next batch', async () => {
    const { store, batches, release } = slowStore();
    const w = new GroupCommit(store, () => undefined);
    w.push(put(1));
    w.push(put(2));
    let firstDone = false;
    void w.flushed().then(() => (firstDone = true));
    await tick();
    assert.equal(batches.length, 1);
    assert.equal(w.idle, false);
    for (let i = 3; i <= 50; i++) {
      w.push(put(i));
      await tick();
    }
    let secondDone = false;
    void w.flushed().then(() => (secondDone = true));
    assert.equal(batches.length, 1, 'no second batch while the first is being written');
    assert.equal(firstDone, false, 'flushed() waits for the commit');
    release();
    await tick();
    await tick();
    assert.equal(firstDone, true);
    assert.equal(secondDone, false);
    assert.equal(batches.length, 2);
    assert.equal(batches[1]!.length, 48, 'everything pushed meanwhile is one batch');
    release();
    await w.drain();
    assert.equal(secondDone, true);
    assert.equal(w.idle, true);
    assert.equal((await store.load()).incoming.length, 50);
  });

  test('a failed batch rejects its waiters and the writer goes on', async () => {
    const mem = new MemoryPersistence();
    let fail = true;
    const errors: unknown[] = [];
    const w = new GroupCommit(
      {
        kind: 'memory',
        init: () => mem.init(),
        load: () => mem.load(),
        apply: (ops) => (fail ? Promise.reject(new Error('disk full')) : mem.apply(ops)),
      },
      (err) => errors.push(err),
    );
    w.push(put(1));
    await assert.rejects(w.flushed(), /disk full/);
    fail = false;
    w.push(put(2));
    await w.flushed();
    assert.equal(errors.length, 1);
    assert.deepEqual((await mem.load()).incoming, [{ clientId: 'c', packetId: 2 }]);
  });
});
