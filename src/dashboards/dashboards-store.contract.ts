/**
 * The dashboards store contract: every adapter (SQLite, PostgreSQL) must pass these. Run by
 * dashboards-store.contract.test.ts.
 */
import assert from 'node:assert/strict';
import type { DashboardsStore } from './dashboards-store.js';
import type { Dashboard } from './types.js';

const dash = (id: string, name: string, over: Partial<Dashboard> = {}): Dashboard => ({
  id,
  name,
  scope: 'fleet',
  widgets: [
    {
      id: 'w1',
      kind: 'time_series',
      x: 0,
      y: 0,
      w: 8,
      h: 4,
      device: 'd1',
      keys: ['temp', 'rpm'],
      range: '1h',
    },
    {
      id: 'w2',
      kind: 'gauge',
      x: 8,
      y: 0,
      w: 4,
      h: 4,
      device: 'd1',
      key: 'temp',
      min: -20,
      max: 120.5,
      thresholds: [{ from: 80, tone: 'bad' }],
    },
  ],
  version: 1,
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000,
  ...over,
});

export const dashboardsStoreContract: [string, (s: DashboardsStore) => Promise<void>][] = [
  [
    'create, get by id and name, list by name: every field round-trips',
    async (s) => {
      const b = dash('d-b', 'Boilers', {
        scope: 'model:boiler',
        customer: 'acme',
        description: 'flow and return',
        widgets: [],
      });
      assert.equal(await s.create(dash('d-z', 'Zoo')), 'ok');
      assert.equal(await s.create(b), 'ok');
      assert.deepEqual(await s.get('d-b'), b);
      assert.deepEqual(await s.getByName('Zoo'), dash('d-z', 'Zoo'));
      assert.equal(await s.get('nope'), undefined);
      assert.equal(await s.getByName('nope'), undefined);
      assert.deepEqual(
        (await s.list()).map((d) => d.id),
        ['d-b', 'd-z'],
      );
    },
  ],
  [
    'names are unique on create and on rename',
    async (s) => {
      assert.equal(await s.create(dash('a', 'One')), 'ok');
      assert.equal(await s.create(dash('b', 'One')), 'name_taken');
      assert.equal(await s.create(dash('b', 'Two')), 'ok');
      assert.equal(await s.update({ ...dash('b', 'One'), version: 2 }), 'name_taken');
      assert.equal((await s.get('b'))?.name, 'Two');
    },
  ],
  [
    'update applies only over the version before it; delete says whether it removed one',
    async (s) => {
      await s.create(dash('a', 'One'));
      const v2 = { ...dash('a', 'Renamed', { widgets: [], customer: 'c1' }), version: 2, updatedAt: 5 };
      assert.equal(await s.update(v2), 'ok');
      assert.deepEqual(await s.get('a'), v2);
      // A second writer that read version 1 loses.
      assert.equal(await s.update({ ...dash('a', 'Stale'), version: 2 }), 'conflict');
      assert.equal(await s.update({ ...dash('missing', 'X'), version: 2 }), 'conflict');
      // The customer can be cleared.
      const v3 = { ...v2, customer: undefined, version: 3 };
      delete v3.customer;
      assert.equal(await s.update(v3), 'ok');
      assert.equal((await s.get('a'))?.customer, undefined);
      assert.equal(await s.delete('a'), true);
      assert.equal(await s.delete('a'), false);
      assert.deepEqual(await s.list(), []);
    },
  ],
];
