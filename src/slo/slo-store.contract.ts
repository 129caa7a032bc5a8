// One contract suite for SloStore, run against SQLite and a real PostgreSQL schema.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { SloStore } from './slo-store.js';
import { def } from './testing.js';

export type OpenSloStore = (t: TestContext) => Promise<SloStore | undefined>;

const a = def({ name: 'a', sli: { type: 'heartbeat', selector: { model: 'm1' } }, target: 0.99 });
const b = def({
  name: 'b',
  sli: { type: 'command-latency', command: 'unlock', thresholdMs: 500 },
  target: 0.999,
  window: { calendar: 'month', timeZone: 'Europe/Berlin' },
});

/** Run by slo-store.contract.test.ts against SQLite and the real PostgreSQL. */
export function sloStoreContract(name: string, open: OpenSloStore): void {
  describe(`SloStore contract: ${name}`, () => {
    test('definitions: put, get, list, replace, delete', async (t) => {
      const s = await open(t);
      if (!s) return;
      assert.equal(await s.putSlo(a, 1), false);
      assert.equal(await s.putSlo(b, 2), false);
      assert.deepEqual(await s.getSlo('b'), b);
      assert.deepEqual(
        (await s.listSlos()).map((d) => d.name),
        ['a', 'b'],
      );
      const a2 = { ...a, target: 0.995 };
      assert.equal(await s.putSlo(a2, 3), true);
      assert.deepEqual(await s.getSlo('a'), a2);
      assert.equal(await s.deleteSlo('a'), true);
      assert.equal(await s.deleteSlo('a'), false);
      assert.equal(await s.getSlo('a'), undefined);
    });

    test('counters: additive batched upsert, range reads, prune, delete with the SLO', async (t) => {
      const s = await open(t);
      if (!s) return;
      await s.putSlo(a, 1);
      await s.putSlo(b, 1);
      await s.addCounters([
        { sloId: 'a', minute: 100, good: 1, total: 2 },
        { sloId: 'a', minute: 101, good: 0.25, total: 0.5 },
        { sloId: 'b', minute: 100, good: 7, total: 7 },
        { sloId: 'a', minute: 100, good: 3, total: 3 }, // same key twice in one batch
      ]);
      await s.addCounters([{ sloId: 'a', minute: 101, good: 1, total: 1 }]);
      assert.deepEqual(await s.readCounters('a', 0, 1000), [
        { sloId: 'a', minute: 100, good: 4, total: 5 },
        { sloId: 'a', minute: 101, good: 1.25, total: 1.5 },
      ]);
      assert.deepEqual(await s.readCounters('a', 101, 102), [
        { sloId: 'a', minute: 101, good: 1.25, total: 1.5 },
      ]);
      assert.deepEqual(await s.readCounters('a', 100, 101), [{ sloId: 'a', minute: 100, good: 4, total: 5 }]);
      // Large batch in one call (PostgreSQL splits it into statements).
      const rows = Array.from({ length: 5000 }, (_, i) => ({
        sloId: 'b',
        minute: 1000 + i,
        good: 1,
        total: 2,
      }));
      await s.addCounters(rows);
      assert.equal((await s.readCounters('b', 1000, 7000)).length, 5000);
      assert.equal(await s.pruneCounters('b', 3000), 2001);
      assert.equal((await s.readCounters('b', 0, 7000)).length, 3000);
      await s.deleteSlo('a');
      assert.deepEqual(await s.readCounters('a', 0, 1000), []);
    });

    test('alerts: open, resolve, list by state and SLO, paged newest first', async (t) => {
      const s = await open(t);
      if (!s) return;
      const base = { sloId: 'a', sloName: 'A', severity: 'page' as const, burnRate: 20, threshold: 14.4 };
      const x = await s.openAlert({ ...base, tier: 'page-1h', firedAt: 10 });
      const y = await s.openAlert({ ...base, tier: 'page-6h', firedAt: 20 });
      const z = await s.openAlert({
        ...base,
        sloId: 'b',
        tier: 'ticket-3d',
        severity: 'ticket',
        firedAt: 30,
      });
      assert.ok(x.id < y.id && y.id < z.id);
      await s.resolveAlert(x.id, 40);
      await s.resolveAlert(x.id, 50); // already resolved: unchanged
      const all = await s.listAlerts({ limit: 10 });
      assert.deepEqual(
        all.map((r) => r.tier),
        ['ticket-3d', 'page-6h', 'page-1h'],
      );
      assert.deepEqual(all[2], { ...base, tier: 'page-1h', firedAt: 10, id: x.id, resolvedAt: 40 });
      assert.equal(all[0]!.severity, 'ticket');
      assert.deepEqual(
        (await s.listAlerts({ state: 'firing', limit: 10 })).map((r) => r.id),
        [z.id, y.id],
      );
      assert.deepEqual(
        (await s.listAlerts({ state: 'resolved', limit: 10 })).map((r) => r.id),
        [x.id],
      );
      assert.deepEqual(
        (await s.listAlerts({ sloId: 'a', limit: 10 })).map((r) => r.id),
        [y.id, x.id],
      );
      const page1 = await s.listAlerts({ limit: 2 });
      const page2 = await s.listAlerts({ limit: 2, before: page1[1]!.id });
      assert.deepEqual(
        [...page1, ...page2].map((r) => r.id),
        [z.id, y.id, x.id],
      );
    });

    test('conditional writes for a cluster: one open episode per SLO and tier, resolve and flag report whether they applied', async (t) => {
      const s = await open(t);
      if (!s) return;
      const base = { sloId: 'a', sloName: 'A', severity: 'page' as const, burnRate: 20, threshold: 14.4 };
      const first = await s.openAlertIfNone({ ...base, tier: 'page-1h', firedAt: 10 });
      assert.ok(first);
      assert.equal(await s.openAlertIfNone({ ...base, tier: 'page-1h', firedAt: 11 }), undefined);
      assert.ok(await s.openAlertIfNone({ ...base, tier: 'page-6h', firedAt: 12 }), 'another tier');
      assert.equal(await s.resolveAlert(first.id, 20), true);
      assert.equal(await s.resolveAlert(first.id, 21), false, 'already resolved');
      const again = await s.openAlertIfNone({ ...base, tier: 'page-1h', firedAt: 30 });
      assert.ok(again && again.id !== first.id, 'a new episode once the old one is resolved');
      assert.equal(await s.setBudgetExhausted('a', true, 1), true);
      assert.equal(await s.setBudgetExhausted('a', true, 2), false);
      assert.equal(await s.setBudgetExhausted('a', false, 3), true);
    });

    test('budget flags and device states', async (t) => {
      const s = await open(t);
      if (!s) return;
      await s.setBudgetExhausted('a', true, 1);
      await s.setBudgetExhausted('b', true, 1);
      await s.setBudgetExhausted('b', false, 2);
      assert.deepEqual([...(await s.getBudgetExhausted())].sort(), [
        ['a', true],
        ['b', false],
      ]);
      await s.setDeviceState('d1', 'out_of_service', 1);
      await s.setDeviceState('d2', 'maintenance', 1);
      await s.setDeviceState('d1', 'in_service', 2);
      await s.deleteDeviceState('d2');
      assert.deepEqual([...(await s.getDeviceStates())], [['d1', 'in_service']]);
    });

    test('OpenSLO documents: kept verbatim (key order too), replaced by kind and name, SLO source deleted with its SLO', async (t) => {
      const s = await open(t);
      if (!s) return;
      await s.putSlo(a, 1);
      const svc = {
        apiVersion: 'openslo/v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { z: 1, a: 2 },
      };
      const src = { kind: 'SLO', metadata: { name: 'a' }, apiVersion: 'openslo/v1', spec: { target: 0.999 } };
      await s.putOpenSloObjects(
        [
          { kind: 'Service', name: 'web', document: svc },
          { kind: 'SLO', name: 'a', document: src, definition: '{"name":"a"}' },
        ],
        1,
      );
      const svc2 = { ...svc, spec: { description: 'the web' } };
      await s.putOpenSloObjects([{ kind: 'Service', name: 'web', document: svc2 }], 2);
      const list = await s.listOpenSloObjects();
      assert.deepEqual(list, [
        { kind: 'Service', name: 'web', document: svc2 },
        { kind: 'SLO', name: 'a', document: src, definition: '{"name":"a"}' },
      ]);
      assert.deepEqual(Object.keys(list[1]!.document), ['kind', 'metadata', 'apiVersion', 'spec']);
      await s.deleteSlo('a');
      assert.deepEqual(
        (await s.listOpenSloObjects()).map((o) => o.kind),
        ['Service'],
      );
    });
  });
}
