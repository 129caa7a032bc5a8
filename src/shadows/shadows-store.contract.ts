/**
 * The contract every ShadowStore adapter passes (run by store.test.ts on SQLite and PostgreSQL).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ShadowDocument } from './document.js';
import type { HistoryEntry, ShadowStore } from './shadows-store.js';

export type MakeStore = (
  t: TestContext,
) => Promise<{ store: ShadowStore; close(): Promise<void> } | undefined>;

const doc = (
  version: number,
  state: ShadowDocument['state'],
  at: number,
  deleted = false,
): ShadowDocument => ({
  deviceId: 'd1',
  name: '',
  version,
  state,
  metadata: { reported: { x: { timestamp: Math.floor(at / 1000) } } },
  updatedAt: at,
  deleted,
});

const entry = (version: number, at: number, op: HistoryEntry['op'] = 'update'): HistoryEntry => ({
  deviceId: 'd1',
  name: '',
  version,
  op,
  at,
  actor: { kind: 'device', id: 'd1' },
  request: op === 'update' ? { reported: { x: version } } : null,
  state: op === 'update' ? { reported: { x: version } } : {},
});

export function shadowStoreContract(label: string, make: MakeStore): void {
  async function withStore(t: TestContext, fn: (s: ShadowStore) => Promise<void>): Promise<void> {
    const h = await make(t);
    if (!h) return;
    try {
      await fn(h.store);
    } finally {
      await h.close();
    }
  }

  test(`${label}: save creates, reads back, and refuses a stale expected version`, (t) =>
    withStore(t, async (s) => {
      assert.equal(await s.get('d1', ''), undefined);
      assert.equal(await s.save(doc(1, { reported: { x: 1 } }, 1000), undefined, entry(1, 1000)), true);
      // a second "create" loses (another node created it first)
      assert.equal(await s.save(doc(1, { reported: { x: 9 } }, 1000), undefined, entry(1, 1000)), false);
      const got = await s.get('d1', '');
      assert.deepEqual(got, doc(1, { reported: { x: 1 } }, 1000));
      assert.equal(
        await s.save(doc(2, { reported: { x: 2 } }, 2000), { version: 1, deleted: false }, entry(2, 2000)),
        true,
      );
      assert.equal(
        await s.save(doc(3, { reported: { x: 3 } }, 3000), { version: 1, deleted: false }, entry(3, 3000)),
        false,
      );
      assert.equal((await s.get('d1', ''))?.version, 2);
      const h = await s.history('d1', '', { limit: 10, offset: 0 });
      assert.deepEqual(
        h.items.map((e) => e.version),
        [1, 2],
      );
      assert.equal(h.total, 2);
    }));

  test(`${label}: tombstones keep the version; names list only live shadows`, (t) =>
    withStore(t, async (s) => {
      await s.save(doc(1, { reported: { x: 1 } }, 1000), undefined, entry(1, 1000));
      await s.save(
        { ...doc(1, {}, 1500, true), name: '' },
        { version: 1, deleted: false },
        entry(1, 1500, 'delete'),
      );
      const named = { ...doc(1, { desired: { y: 1 } }, 1600), name: 'cfg' };
      await s.save(named, undefined, { ...entry(1, 1600), name: 'cfg' });
      const tomb = await s.get('d1', '');
      assert.equal(tomb?.deleted, true);
      assert.equal(tomb?.version, 1);
      assert.deepEqual(await s.listNames('d1'), ['cfg']);
      assert.equal(
        await s.save(doc(2, { reported: { x: 2 } }, 2000), { version: 1, deleted: true }, entry(2, 2000)),
        true,
      );
      assert.deepEqual(await s.listNames('d1'), ['', 'cfg']);
      const h = await s.history('d1', '', { limit: 10, offset: 0 });
      assert.deepEqual(
        h.items.map((e) => `${e.op}:${e.version}`),
        ['update:1', 'delete:1', 'update:2'],
      );
      assert.deepEqual(h.items[1]?.request, null);
    }));

  test(`${label}: history paging, time filter and lookup by version`, (t) =>
    withStore(t, async (s) => {
      await s.save(doc(1, { reported: { x: 1 } }, 1000), undefined, entry(1, 1000));
      for (let v = 2; v <= 6; v++)
        await s.save(
          doc(v, { reported: { x: v } }, v * 1000),
          { version: v - 1, deleted: false },
          entry(v, v * 1000),
        );
      const page = await s.history('d1', '', { limit: 2, offset: 2 });
      assert.deepEqual(
        page.items.map((e) => e.version),
        [3, 4],
      );
      assert.equal(page.total, 6);
      const window = await s.history('d1', '', { from: 2000, to: 5000, limit: 100, offset: 0 });
      assert.deepEqual(
        window.items.map((e) => e.version),
        [2, 3, 4],
      );
      assert.equal(window.total, 3);
      const at = await s.historyAt('d1', '', 4);
      assert.deepEqual(at?.state, { reported: { x: 4 } });
      assert.deepEqual(at?.actor, { kind: 'device', id: 'd1' });
      assert.equal(at?.at, 4000);
      assert.equal(await s.historyAt('d1', '', 99), undefined);
      assert.equal(await s.historyAt('d1', 'other', 4), undefined);
    }));

  test(`${label}: mutate reads under lock, writes doc and history together, writes nothing when fn throws`, (t) =>
    withStore(t, async (s) => {
      const seen: (number | undefined)[] = [];
      const step = (c: ShadowDocument | undefined) => {
        seen.push(c?.version);
        const v = (c?.version ?? 0) + 1;
        return { doc: doc(v, { reported: { x: v } }, v * 1000), entry: entry(v, v * 1000), result: v };
      };
      assert.equal(await s.mutate('d1', '', step), 1);
      assert.equal(await s.mutate('d1', '', step), 2);
      assert.deepEqual(seen, [undefined, 1]);
      await assert.rejects(
        s.mutate('d1', '', () => {
          throw new Error('no');
        }),
        /no/,
      );
      assert.equal((await s.get('d1', ''))?.version, 2);
      // concurrent mutations queue on the lock: every version exactly once
      const results = await Promise.all(Array.from({ length: 8 }, () => s.mutate('d1', '', step)));
      assert.deepEqual(
        results.sort((a, b) => a - b),
        [3, 4, 5, 6, 7, 8, 9, 10],
      );
      assert.equal((await s.history('d1', '', { limit: 100, offset: 0 })).total, 10);
    }));

  const docOf = (deviceId: string, version: number, x: number): ShadowDocument => ({
    ...doc(version, { desired: { x } }, 1000 * version),
    deviceId,
  });
  const entryOf = (deviceId: string, version: number, actorId: string): HistoryEntry => ({
    ...entry(version, 1000 * version),
    deviceId,
    actor: { kind: 'system', id: actorId },
  });

  test(`${label}: mutateMany creates and updates many shadows in one go, history per shadow`, (t) =>
    withStore(t, async (s) => {
      assert.equal(await s.save(docOf('b', 1, 0), undefined, entryOf('b', 1, 'first')), true);
      const keys = ['a', 'b', 'c'].map((deviceId) => ({ deviceId, name: '' }));
      const seen: (number | undefined)[] = [];
      const out = await s.mutateMany(keys, (cur, i) => {
        seen.push(cur?.version);
        const id = keys[i]!.deviceId;
        const v = (cur?.version ?? 0) + 1;
        return { doc: docOf(id, v, 7), entry: entryOf(id, v, 'schedule:s1'), result: `${id}@${v}` };
      });
      assert.deepEqual(seen, [undefined, 1, undefined]);
      assert.deepEqual(out, [
        { ok: true, value: 'a@1' },
        { ok: true, value: 'b@2' },
        { ok: true, value: 'c@1' },
      ]);
      const docs = await s.getMany([...keys, { deviceId: 'zz', name: '' }]);
      assert.deepEqual(
        docs.map((d) => d && [d.deviceId, d.version, d.state]),
        [
          ['a', 1, { desired: { x: 7 } }],
          ['b', 2, { desired: { x: 7 } }],
          ['c', 1, { desired: { x: 7 } }],
          undefined,
        ],
      );
      const h = await s.history('b', '', { limit: 10, offset: 0 });
      assert.deepEqual(
        h.items.map((e) => [e.version, e.actor.id]),
        [
          [1, 'first'],
          [2, 'schedule:s1'],
        ],
      );
    }));

  test(`${label}: mutateMany leaves out an item whose fn throws and writes the rest`, (t) =>
    withStore(t, async (s) => {
      const keys = ['a', 'b'].map((deviceId) => ({ deviceId, name: 'n' }));
      const out = await s.mutateMany(keys, (_cur, i) => {
        if (i === 0) throw new Error('too big');
        return {
          doc: { ...docOf('b', 1, 1), name: 'n' },
          entry: { ...entryOf('b', 1, 'x'), name: 'n' },
          result: i,
        };
      });
      assert.equal(out[0]!.ok, false);
      assert.match(String((out[0] as { error: unknown }).error), /too big/);
      assert.deepEqual(out[1], { ok: true, value: 1 });
      assert.equal(await s.get('a', 'n'), undefined);
      assert.equal((await s.history('a', 'n', { limit: 10, offset: 0 })).total, 0);
      assert.equal((await s.get('b', 'n'))?.version, 1);
      await assert.rejects(
        s.mutateMany([keys[0]!, keys[0]!], () => {
          throw new Error('not called');
        }),
        /twice/,
      );
    }));

  test(`${label}: concurrent mutateMany batches over the same shadows lose no update`, (t) =>
    withStore(t, async (s) => {
      const ids = Array.from({ length: 20 }, (_, i) => `d${i}`);
      const batch = (order: string[]) =>
        s.mutateMany(
          order.map((deviceId) => ({ deviceId, name: '' })),
          (cur, i) => {
            const v = (cur?.version ?? 0) + 1;
            return { doc: docOf(order[i]!, v, v), entry: entryOf(order[i]!, v, 'x'), result: v };
          },
        );
      await Promise.all([
        batch(ids),
        batch([...ids].reverse()),
        batch(ids),
        s.mutate('d3', '', (cur) => {
          const v = (cur?.version ?? 0) + 1;
          return { doc: docOf('d3', v, v), entry: entryOf('d3', v, 'y'), result: v };
        }),
      ]);
      const docs = await s.getMany(ids.map((deviceId) => ({ deviceId, name: '' })));
      assert.deepEqual(
        docs.map((d) => d?.version),
        ids.map((id) => (id === 'd3' ? 4 : 3)),
      );
    }));
}
