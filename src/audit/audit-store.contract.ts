/**
 * The audit store contract: every adapter (SQLite, PostgreSQL) must pass these. Run by
 * audit-store.contract.test.ts. (The assertions moved here from the registry's contract with the
 * audit log.)
 */
import assert from 'node:assert/strict';
import type { AuditStore } from './audit-store.js';

export const auditStoreContract: [string, (s: AuditStore) => Promise<void>][] = [
  [
    'audit: one batch, newest first, paging, filters',
    async (s) => {
      await s.append([
        {
          at: 1,
          actorKind: 'token',
          actorId: 'tok_a',
          actorName: 'ci',
          action: 'device.create',
          resource: 'devices/d1',
          before: null,
          after: { id: 'd1' },
        },
        {
          at: 2,
          actorKind: 'rule',
          actorId: 'r1',
          actorName: null,
          action: 'x',
          resource: 'devices/d10',
          before: { a: 1 },
          after: null,
        },
      ]);
      await s.append([
        {
          at: 3,
          actorKind: 'token',
          actorId: 'tok_a',
          actorName: 'ci',
          action: 'credential.create',
          resource: 'devices/d1/credentials/c1',
          before: null,
          after: { ok: true },
        },
      ]);
      const byActor = await s.list({ actor: 'tok_a', limit: 10, offset: 0 });
      assert.deepEqual(
        byActor.items.map((e) => e.action),
        ['credential.create', 'device.create'],
      );
      assert.deepEqual(byActor.items[1]?.after, { id: 'd1' });
      assert.equal(byActor.items[1]?.actorName, 'ci');
      const byRes = await s.list({ resource: 'devices/d1', limit: 10, offset: 0 });
      assert.equal(byRes.total, 2, 'a resource includes its sub-resources but not devices/d10');
      const all = await s.list({ limit: 1, offset: 1 });
      assert.equal(all.total, 3);
      assert.deepEqual(all.items[0]?.before, { a: 1 });
    },
  ],
  [
    'audit: a batch is all or nothing',
    async (s) => {
      const ok = {
        at: 1,
        actorKind: 'token',
        actorId: 't',
        actorName: null,
        action: 'a',
        resource: 'r',
        before: null,
        after: null,
      };
      // A NOT NULL column left null makes the second insert fail: the first must not stay.
      await assert.rejects(s.append([ok, { ...ok, action: null as unknown as string }]));
      assert.equal((await s.list({ limit: 10, offset: 0 })).total, 0);
    },
  ],
];
