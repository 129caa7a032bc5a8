/**
 * The registry store contract: every adapter (SQLite, PostgreSQL) must pass these. Run by
 * store.test.ts against a SQLite in-memory database and a fresh PostgreSQL schema.
 */
import assert from 'node:assert/strict';
import type { DeviceLastSeen, DeviceMessageKind } from '../core/index.js';
import type { RegistryStore } from './registry-store.js';
import type { Device, DeviceModel, DeviceQuery } from './types.js';

const model = (name: string, extra: Partial<DeviceModel> = {}): DeviceModel => ({
  name,
  description: `${name} model`,
  attributes: { vendor: 'acme' },
  createdAt: 1000,
  updatedAt: 1000,
  ...extra,
});

const device = (id: string, extra: Partial<Device> = {}): Device => ({
  id,
  model: null,
  name: id.toUpperCase(),
  tags: [],
  attributes: {},
  enabled: true,
  createdAt: 1000,
  updatedAt: 1000,
  ...extra,
});

/** A last-seen record holding only a connect/disconnect time. */
const seenAt = (at: number): DeviceLastSeen => ({ at, messageAt: 0, messageKind: null, heartbeatAt: 0 });

const q = (over: Partial<DeviceQuery> = {}): DeviceQuery => ({
  sort: 'id',
  order: 'asc',
  limit: 100,
  offset: 0,
  ...over,
});

export type StoreCase = [name: string, fn: (s: RegistryStore) => Promise<void>];

export const storeContract: StoreCase[] = [
  [
    'models: put, get, list, replace, delete, count devices of a model',
    async (s) => {
      await s.putModels([
        model('scooter', {
          heartbeat: { intervalMs: 60_000, graceMs: 5000, signOfLife: 'heartbeat' },
          acl: { publish: ['fleet/${deviceId}/#'] },
          decoder: 'json',
          shadow: { clearDesiredOnReport: true, maxDocumentBytes: 8192 },
        }),
        model('boiler'),
      ]);
      const m = await s.getModel('scooter');
      assert.equal(m?.heartbeat?.intervalMs, 60_000);
      assert.deepEqual(m?.acl, { publish: ['fleet/${deviceId}/#'] });
      assert.equal(m?.decoder, 'json');
      assert.equal(m?.shadow?.maxDocumentBytes, 8192);
      assert.deepEqual(m?.attributes, { vendor: 'acme' });
      assert.deepEqual(
        (await s.listModels()).map((x) => x.name),
        ['boiler', 'scooter'],
      );
      await s.putModels([model('scooter', { description: 'changed', createdAt: 5, updatedAt: 2000 })]);
      const changed = await s.getModel('scooter');
      assert.equal(changed?.description, 'changed');
      assert.equal(changed?.heartbeat, undefined);
      assert.equal(changed?.createdAt, 1000, 'createdAt survives a replace');
      assert.equal(changed?.updatedAt, 2000);
      await s.putDevices([device('a', { model: 'boiler' })]);
      assert.equal(await s.countDevicesOfModel('boiler'), 1);
      assert.equal(await s.deleteModel('scooter'), true);
      assert.equal(await s.deleteModel('scooter'), false);
      assert.equal(await s.getModel('scooter'), undefined);
    },
  ],
  [
    'devices: put, get, replace keeps status, delete removes tags and credentials',
    async (s) => {
      await s.putDevices([device('d1', { tags: ['red', 'site=osaka'], attributes: { n: 1 } })]);
      await s.writeBatch([], [{ deviceId: 'd1', online: true, lastSeen: seenAt(5000) }]);
      await s.putDevices([
        device('d1', { name: 'renamed', tags: ['blue'], enabled: false, updatedAt: 6000 }),
      ]);
      const d = await s.getDevice('d1');
      assert.equal(d?.name, 'renamed');
      assert.deepEqual(d?.tags, ['blue']);
      assert.equal(d?.enabled, false);
      assert.equal(d?.online, true, 'status columns are not touched by a device update');
      assert.equal(d?.lastSeenAt, 5000);
      assert.equal((await s.queryDevices(q({ tag: 'red' }))).total, 0, 'old tags are gone');
      assert.equal((await s.queryDevices(q({ tag: 'blue' }))).total, 1);
      await s.putCredential({
        id: 'c1',
        deviceId: 'd1',
        kind: 'certificate',
        username: null,
        secretHash: null,
        fingerprint: 'ab'.repeat(32),
        createdAt: 1,
        expiresAt: null,
        revokedAt: null,
      });
      assert.equal(await s.deleteDevice('d1'), true);
      assert.equal(await s.getDevice('d1'), undefined);
      assert.deepEqual(await s.listCredentials('d1'), []);
      assert.equal((await s.queryDevices(q({ tag: 'blue' }))).total, 0);
      assert.equal(await s.deleteDevice('d1'), false);
    },
  ],
  [
    'devices: filters (model, tag, online, q, id sets), sort, order, paging with total',
    async (s) => {
      const list: Device[] = [];
      for (let i = 0; i < 30; i++)
        list.push(
          device(`dev-${String(i).padStart(2, '0')}`, {
            model: i % 3 === 0 ? 'scooter' : 'boiler',
            name: i === 7 ? 'Front_Door 50%' : `unit ${i}`,
            tags: i % 2 === 0 ? ['even'] : ['odd'],
            createdAt: 10_000 - i,
          }),
        );
      await s.putDevices(list);
      await s.writeBatch(
        [],
        [
          { deviceId: 'dev-03', online: true, lastSeen: seenAt(9) },
          { deviceId: 'dev-04', online: true, lastSeen: seenAt(7) },
        ],
      );
      assert.equal((await s.queryDevices(q())).total, 30);
      assert.equal((await s.queryDevices(q({ model: 'scooter' }))).total, 10);
      const evenScooters = await s.queryDevices(q({ model: 'scooter', tag: 'even' }));
      assert.deepEqual(
        evenScooters.items.map((d) => d.id),
        ['dev-00', 'dev-06', 'dev-12', 'dev-18', 'dev-24'],
      );
      const online = await s.queryDevices(q({ online: true }));
      assert.deepEqual(
        online.items.map((d) => d.id),
        ['dev-03', 'dev-04'],
      );
      assert.equal((await s.queryDevices(q({ online: false }))).total, 28);
      assert.deepEqual(
        (await s.queryDevices(q({ q: 'front_door 50%' }))).items.map((d) => d.id),
        ['dev-07'],
        'case-insensitive, % and _ taken literally',
      );
      assert.equal((await s.queryDevices(q({ q: '5_%' }))).total, 0);
      assert.equal((await s.queryDevices(q({ q: 'DEV-2' }))).total, 10, 'matches ids too');
      const page2 = await s.queryDevices(q({ limit: 7, offset: 7 }));
      assert.equal(page2.total, 30);
      assert.deepEqual(
        page2.items.map((d) => d.id),
        ['dev-07', 'dev-08', 'dev-09', 'dev-10', 'dev-11', 'dev-12', 'dev-13'],
      );
      const byCreated = await s.queryDevices(q({ sort: 'createdAt', order: 'asc', limit: 2 }));
      assert.deepEqual(
        byCreated.items.map((d) => d.id),
        ['dev-29', 'dev-28'],
      );
      const bySeen = await s.queryDevices(q({ sort: 'lastSeenAt', order: 'desc', limit: 2 }));
      assert.deepEqual(
        bySeen.items.map((d) => d.id),
        ['dev-03', 'dev-04'],
      );
      const only = await s.queryDevices(q({ idIn: ['dev-05', 'dev-06', 'nope'], tag: 'even' }));
      assert.deepEqual(
        [only.total, only.items.map((d) => d.id)],
        [1, ['dev-06']],
        'id set AND other filters',
      );
      assert.equal((await s.queryDevices(q({ idIn: [] }))).total, 0, 'an empty id set matches nothing');
      const except = await s.queryDevices(q({ idNotIn: ['dev-00', 'dev-03'], model: 'scooter' }));
      assert.deepEqual([except.total, except.items[0]?.id], [8, 'dev-06']);
      assert.equal((await s.queryDevices(q({ idNotIn: [] }))).total, 30);
      const desc = await s.queryDevices(q({ order: 'desc', limit: 1 }));
      assert.equal(desc.items[0]?.id, 'dev-29');
      assert.deepEqual(await s.fleetCounts(), { total: 30, online: 2 });
      await s.resetOnline();
      assert.deepEqual(await s.fleetCounts(), { total: 30, online: 0 });
    },
  ],
  [
    'devices in bulk: put and get past one statement batch, replace tags, last entry of an id wins',
    async (s) => {
      // More than DEVICE_BATCH (400) devices and TAG_BATCH (2,000) tag rows, so every statement
      // runs in several chunks.
      const n = 1_000;
      const ids = Array.from({ length: n }, (_, i) => `bulk-${String(i).padStart(4, '0')}`);
      await s.putDevices(ids.map((id, i) => device(id, { tags: [`t${i % 7}`, 'all', `own-${i}`] })));
      await s.writeBatch([], [{ deviceId: 'bulk-0001', online: true, lastSeen: seenAt(77) }]);
      assert.equal((await s.queryDevices(q({ tag: 'all', limit: 1 }))).total, n);
      assert.equal((await s.queryDevices(q({ tag: 't3', limit: 1 }))).total, 143);
      await s.putDevices([
        ...ids.slice(0, 500).map((id) => device(id, { tags: ['replaced'], updatedAt: 2000 })),
        device('bulk-0001', { name: 'first', tags: ['x'] }),
        device('bulk-0001', { name: 'last', tags: ['y'], updatedAt: 3000 }),
      ]);
      assert.equal((await s.queryDevices(q({ tag: 'all', limit: 1 }))).total, n - 500, 'old tags gone');
      assert.equal((await s.queryDevices(q({ tag: 'replaced', limit: 1 }))).total, 499);
      const got = await s.getDevices([...ids, 'missing', 'bulk-0001']);
      assert.equal(got.size, n, 'every stored id once, the missing one absent');
      assert.equal(got.has('missing'), false);
      const d1 = got.get('bulk-0001');
      assert.equal(d1?.name, 'last');
      assert.deepEqual(d1?.tags, ['y']);
      assert.equal(d1?.online, true, 'status columns are not touched by a bulk put');
      assert.equal(d1?.lastSeenAt, 77);
      assert.equal((await s.queryDevices(q({ tag: 'x' }))).total, 0);
      assert.deepEqual(got.get('bulk-0999')?.tags, ['t5', 'all', 'own-999']);
      assert.equal(got.get('bulk-0002')?.updatedAt, 2000);
      assert.equal((await s.getDevices([])).size, 0);
    },
  ],
  [
    'credentials: list in creation order, revoke, certificate lookup ignores revoked',
    async (s) => {
      const fp = 'cd'.repeat(32);
      const base = {
        deviceId: 'd1',
        username: null,
        secretHash: null,
        fingerprint: null,
        expiresAt: null,
        revokedAt: null,
      };
      await s.putCredential({
        ...base,
        id: 'p1',
        kind: 'password',
        username: 'd1',
        secretHash: 'scrypt$x',
        createdAt: 1,
      });
      await s.putCredential({ ...base, id: 'c1', kind: 'certificate', fingerprint: fp, createdAt: 2 });
      assert.deepEqual(
        (await s.listCredentials('d1')).map((c) => c.id),
        ['p1', 'c1'],
      );
      assert.equal((await s.findCertificate(fp))?.id, 'c1');
      await s.putCredential({
        ...base,
        id: 'c1',
        kind: 'certificate',
        fingerprint: fp,
        createdAt: 2,
        revokedAt: 50,
      });
      assert.equal(await s.findCertificate(fp), undefined);
      const p1 = (await s.listCredentials('d1')).find((c) => c.id === 'p1');
      assert.equal(p1?.secretHash, 'scrypt$x');
      await s.putCredential({
        ...base,
        id: 'p1',
        kind: 'password',
        username: 'd1',
        secretHash: 'scrypt$x',
        createdAt: 1,
        expiresAt: 99,
      });
      assert.equal((await s.listCredentials('d1')).find((c) => c.id === 'p1')?.expiresAt, 99);
      // Hash migration is a compare-and-set: a stale `from` changes nothing; revoked rows are left alone.
      assert.equal(await s.replaceSecretHash('p1', 'scrypt$stale', 'sha256$y'), false);
      assert.equal(await s.replaceSecretHash('p1', 'scrypt$x', 'sha256$y'), true);
      const migrated = (await s.listCredentials('d1')).find((c) => c.id === 'p1');
      assert.deepEqual([migrated?.secretHash, migrated?.expiresAt], ['sha256$y', 99]);
      assert.equal(await s.replaceSecretHash('p1', 'scrypt$x', 'sha256$z'), false);
      await s.putCredential({ ...migrated!, revokedAt: 120 });
      assert.equal(await s.replaceSecretHash('p1', 'sha256$y', 'sha256$z'), false);
      // A revoked fingerprint may be registered again.
      await s.putCredential({ ...base, id: 'c2', kind: 'certificate', fingerprint: fp, createdAt: 3 });
      assert.equal((await s.findCertificate(fp))?.id, 'c2');
    },
  ],
  [
    'last seen: each time only moves forward, the kind goes with the newest message, read back per device or all',
    async (s) => {
      await s.putDevices([device('d1'), device('d2'), device('never')]);
      const rec = (at: number, messageAt: number, kind: DeviceMessageKind | null, heartbeatAt: number) => ({
        at,
        messageAt,
        messageKind: kind,
        heartbeatAt,
      });
      await s.writeBatch([], [{ deviceId: 'd1', online: true, lastSeen: rec(500, 400, 'heartbeat', 400) }]);
      // Another node that saw an older message but a newer connect: only `at` moves.
      await s.writeBatch([], [{ deviceId: 'd1', online: true, lastSeen: rec(600, 300, 'telemetry', 0) }]);
      assert.deepEqual((await s.readLastSeen('d1')).get('d1'), rec(600, 400, 'heartbeat', 400));
      await s.writeBatch(
        [],
        [
          { deviceId: 'd1', online: false, lastSeen: rec(700, 700, 'telemetry', 0) },
          { deviceId: 'd2', online: false, lastSeen: rec(50, 0, null, 0) },
        ],
      );
      assert.deepEqual((await s.readLastSeen('d1')).get('d1'), rec(700, 700, 'telemetry', 400));
      assert.equal((await s.getDevice('d1'))?.lastSeenAt, 700);
      assert.deepEqual(
        [...(await s.readLastSeen())].sort(([a], [b]) => (a < b ? -1 : 1)),
        [
          ['d1', rec(700, 700, 'telemetry', 400)],
          ['d2', rec(50, 0, null, 0)],
        ],
      );
      assert.equal((await s.readLastSeen('never')).size, 0, 'a device never seen has no record');
    },
  ],
  [
    'connectivity: one batch, newest first, paging (audit entries: src/audit)',
    async (s) => {
      const row = (at: number, event: 'connect' | 'disconnect', reason: string | null = null) => ({
        deviceId: 'd1',
        event,
        at,
        remoteAddress: '127.0.0.1',
        protocolVersion: event === 'connect' ? 5 : null,
        keepalive: event === 'connect' ? 30 : null,
        reason,
        refused: reason === 'not_authorized',
        detail: null,
      });
      await s.writeBatch(
        [
          row(1, 'connect'),
          row(2, 'disconnect', 'keepalive_timeout'),
          row(3, 'disconnect', 'not_authorized'),
        ],
        [],
      );
      const p = await s.listConnectivity('d1', 2, 0);
      assert.equal(p.total, 3);
      assert.deepEqual(
        p.items.map((r) => [r.at, r.event, r.reason, r.refused]),
        [
          [3, 'disconnect', 'not_authorized', true],
          [2, 'disconnect', 'keepalive_timeout', false],
        ],
      );
      const last = await s.listConnectivity('d1', 2, 2);
      assert.equal(last.items[0]?.protocolVersion, 5);
      assert.equal(last.items[0]?.keepalive, 30);
      assert.equal((await s.listConnectivity('other', 10, 0)).total, 0);
    },
  ],
];
