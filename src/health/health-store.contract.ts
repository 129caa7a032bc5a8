import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { HealthStore } from './health-store.js';

export type OpenHealthStore = (t: TestContext) => Promise<HealthStore | undefined>;

const SYS = { kind: 'system' as const, id: 'health' };

/** Run by health-store.contract.test.ts against SQLite and the real PostgreSQL. */
export function healthStoreContract(name: string, open: OpenHealthStore): void {
  describe(`HealthStore contract: ${name}`, () => {
    // Last sign of life is presence's now: "never moves backwards" is the registry store's
    // contract ('last seen: each time only moves forward …').

    test('transitions set the current row (last one wins in a batch) and keep history newest first', async (t) => {
      const s = await open(t);
      if (!s) return;
      await s.saveTransitions([
        {
          deviceId: 'a',
          at: 1000,
          from: 'in_service',
          to: 'out_of_service',
          reasons: ['heartbeat_lost'],
          actor: SYS,
          since: 1000,
        },
        {
          deviceId: 'a',
          at: 2000,
          from: 'out_of_service',
          to: 'out_of_service',
          reasons: ['hardware_error:E1', 'heartbeat_lost'],
          actor: SYS,
          since: 1000,
        },
      ]);
      await s.saveTransitions([
        {
          deviceId: 'a',
          at: 3000,
          from: 'out_of_service',
          to: 'in_service',
          reasons: [],
          actor: { kind: 'token', id: 'op' },
          note: 'fixed',
          since: 3000,
        },
      ]);
      const [row] = await s.loadDevices();
      assert.deepEqual(row, { deviceId: 'a', state: 'in_service', reasons: [], since: 3000 });
      const h = await s.history('a', 2);
      assert.equal(h.length, 2);
      assert.deepEqual(h[0], {
        deviceId: 'a',
        at: 3000,
        from: 'out_of_service',
        to: 'in_service',
        reasons: [],
        actor: { kind: 'token', id: 'op' },
        note: 'fixed',
      });
      assert.deepEqual(h[1]!.reasons, ['hardware_error:E1', 'heartbeat_lost']);
      assert.equal(h[1]!.note, undefined);
      await s.deleteDevice('a');
      assert.deepEqual(await s.loadDevices(), []);
      assert.deepEqual(await s.history('a', 10), []);
    });

    test('a conditional transition applies only on the state it saw (no row: in service)', async (t) => {
      const s = await open(t);
      if (!s) return;
      const lost = (at: number) => ({
        deviceId: 'a',
        at,
        from: 'in_service' as const,
        to: 'out_of_service' as const,
        reasons: ['heartbeat_lost'],
        actor: SYS,
        since: at,
      });
      const seen = { state: 'in_service' as const, reasons: [] };
      assert.deepEqual(await s.saveTransitionIf(lost(1000), seen), { applied: true });
      const second = await s.saveTransitionIf(lost(1001), seen);
      assert.deepEqual(second, {
        applied: false,
        current: {
          deviceId: 'a',
          state: 'out_of_service',
          reasons: ['heartbeat_lost'],
          since: 1000,
        },
      });
      assert.deepEqual(
        (await s.history('a', 10)).map((h) => h.at),
        [1000],
      );
    });

    test('policies and meta', async (t) => {
      const s = await open(t);
      if (!s) return;
      assert.equal(await s.getMeta('alive_at'), undefined);
      await s.setMeta('alive_at', 5);
      await s.setMeta('alive_at', 1767225601000);
      assert.equal(await s.getMeta('alive_at'), 1767225601000);
      const p = {
        model: 'scooter',
        heartbeat: { signOfLife: 'any_message' as const },
        errorThresholds: [
          {
            code: 'E1',
            threshold: 3,
            windowMs: 1000,
            severity: 'error' as const,
            action: 'alert_only' as const,
          },
        ],
        flappingMinConnects: 0,
        updatedAt: 1,
      };
      await s.putPolicy(p);
      await s.putPolicy({ ...p, updatedAt: 2 });
      await s.putPolicy({ ...p, model: 'boiler', errorThresholds: [] });
      const all = await s.listPolicies();
      assert.deepEqual(
        all.map((x) => x.model),
        ['boiler', 'scooter'],
      );
      assert.deepEqual(all[1], { ...p, updatedAt: 2 });
      assert.equal(await s.deletePolicy('boiler'), true);
      assert.equal(await s.deletePolicy('boiler'), false);
    });

    test('error windows: a batch replaces each (device, code) window, an empty one deletes it, deleteDevice removes them', async (t) => {
      const s = await open(t);
      if (!s) return;
      assert.deepEqual(await s.loadErrorWindows(), []);
      await s.saveErrorWindows([
        { deviceId: 'a', code: 'MOTOR', occurrences: [100] },
        { deviceId: 'a', code: 'MOTOR', occurrences: [100, 200] },
        { deviceId: 'a', code: 'TEMP', occurrences: [150] },
        { deviceId: 'b', code: 'MOTOR', occurrences: [1767225601000, 1767225602000] },
      ]);
      const sorted = async () =>
        (await s.loadErrorWindows()).sort((x, y) =>
          `${x.deviceId}/${x.code}`.localeCompare(`${y.deviceId}/${y.code}`),
        );
      assert.deepEqual(await sorted(), [
        { deviceId: 'a', code: 'MOTOR', occurrences: [100, 200] },
        { deviceId: 'a', code: 'TEMP', occurrences: [150] },
        { deviceId: 'b', code: 'MOTOR', occurrences: [1767225601000, 1767225602000] },
      ]);
      await s.saveErrorWindows([
        { deviceId: 'a', code: 'TEMP', occurrences: [] },
        { deviceId: 'a', code: 'MOTOR', occurrences: [300] },
        { deviceId: 'c', code: 'X', occurrences: [] },
      ]);
      assert.deepEqual(await sorted(), [
        { deviceId: 'a', code: 'MOTOR', occurrences: [300] },
        { deviceId: 'b', code: 'MOTOR', occurrences: [1767225601000, 1767225602000] },
      ]);
      await s.deleteDevice('b');
      assert.deepEqual(await sorted(), [{ deviceId: 'a', code: 'MOTOR', occurrences: [300] }]);
    });

    test('platform downtimes: newest first, limited', async (t) => {
      const s = await open(t);
      if (!s) return;
      assert.deepEqual(await s.listDowntimes(10), []);
      await s.addDowntime({ from: 1767225600000, to: 1767225604000, clean: true });
      await s.addDowntime({ from: 1767225700000, to: 1767225709000, clean: false });
      assert.deepEqual(await s.listDowntimes(10), [
        { from: 1767225700000, to: 1767225709000, clean: false },
        { from: 1767225600000, to: 1767225604000, clean: true },
      ]);
      assert.equal((await s.listDowntimes(1)).length, 1);
    });
  });
}
