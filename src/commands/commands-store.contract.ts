/** The contract every CommandStore adapter passes (run by store.test.ts on SQLite and PostgreSQL). */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandStore } from './commands-store.js';
import type { CommandRecord } from './types.js';

export type MakeStore = (
  t: TestContext,
) => Promise<{ store: CommandStore; close(): Promise<void> } | undefined>;

export function command(over: Partial<CommandRecord> = {}): CommandRecord {
  return {
    id: 'c1',
    deviceId: 'd1',
    model: 'scooter',
    name: 'lock',
    params: { a: [1, 'x'] },
    status: 'queued',
    idempotencyKey: null,
    confirm: { path: 'lock', equals: 'locked', shadow: '' },
    offline: 'queue',
    timeoutMs: 30_000,
    requestedAt: 1000,
    expiresAt: 61_000,
    sentAt: null,
    deadline: null,
    repliedAt: null,
    finishedAt: null,
    replyLatencyMs: null,
    confirmLatencyMs: null,
    result: null,
    errorCode: null,
    errorMessage: null,
    actor: { kind: 'token', id: 'admin' },
    ...over,
  };
}

export function commandStoreContract(label: string, make: MakeStore): void {
  async function withStore(t: TestContext, fn: (s: CommandStore) => Promise<void>): Promise<void> {
    const h = await make(t);
    if (!h) return;
    try {
      await fn(h.store);
    } finally {
      await h.close();
    }
  }

  test(`${label}: insert, read back, update the lifecycle fields`, (t) =>
    withStore(t, async (s) => {
      const c = command();
      assert.deepEqual(await s.insert(c), { record: c, created: true });
      assert.deepEqual(await s.get('c1'), c);
      const done: CommandRecord = {
        ...c,
        status: 'succeeded',
        sentAt: 1100,
        deadline: 31_100,
        repliedAt: 1300,
        finishedAt: 1500,
        replyLatencyMs: 300,
        confirmLatencyMs: 500,
        result: { ok: true },
      };
      assert.equal(await s.update(done, 'queued'), true);
      assert.deepEqual(await s.get('c1'), done);
      // Compare-and-set: a writer that read an older status changes nothing.
      const late: CommandRecord = { ...done, status: 'timed_out', errorCode: 'TIMEOUT' };
      assert.equal(await s.update(late, 'sent'), false);
      assert.deepEqual(await s.get('c1'), done);
      assert.equal(await s.get('nope'), undefined);
    }));

  test(`${label}: one command per (device, idempotency key)`, (t) =>
    withStore(t, async (s) => {
      const a = command({ id: 'a', idempotencyKey: 'k' });
      await s.insert(a);
      const again = await s.insert(command({ id: 'b', idempotencyKey: 'k' }));
      assert.equal(again.created, false);
      assert.equal(again.record.id, 'a');
      assert.equal((await s.insert(command({ id: 'c', idempotencyKey: 'k', deviceId: 'd2' }))).created, true);
      // commands without a key never collide
      assert.equal((await s.insert(command({ id: 'n1' }))).created, true);
      assert.equal((await s.insert(command({ id: 'n2' }))).created, true);
      assert.equal((await s.byIdempotencyKey('d1', 'k'))?.id, 'a');
      assert.equal(await s.byIdempotencyKey('d1', 'zzz'), undefined);
    }));

  test(`${label}: list newest first with paging and status; pending; outcomes filtered`, (t) =>
    withStore(t, async (s) => {
      const statuses = ['queued', 'sent', 'acknowledged', 'succeeded', 'timed_out'] as const;
      for (let i = 0; i < 5; i++)
        await s.insert(
          command({
            id: `c${i}`,
            status: statuses[i]!,
            requestedAt: 1000 * (i + 1),
            name: i % 2 ? 'lock' : 'unlock',
            deviceId: i === 4 ? 'd2' : 'd1',
            replyLatencyMs: i >= 3 ? 10 * i : null,
          }),
        );
      const page = await s.listByDevice('d1', { limit: 2, offset: 1 });
      assert.equal(page.total, 4);
      assert.deepEqual(
        page.items.map((c) => c.id),
        ['c2', 'c1'],
      );
      const sent = await s.listByDevice('d1', { limit: 10, offset: 0, status: 'sent' });
      assert.deepEqual(
        sent.items.map((c) => c.id),
        ['c1'],
      );
      assert.deepEqual(
        (await s.pending()).map((c) => c.id),
        ['c0', 'c1', 'c2'],
      );
      const all = await s.outcomes({});
      assert.equal(all.length, 5);
      const filtered = await s.outcomes({ name: 'unlock', from: 2000, to: 5001 });
      assert.deepEqual(filtered.map((o) => o.status).sort(), ['acknowledged', 'timed_out']);
      const byDevice = await s.outcomes({ deviceId: 'd2', model: 'scooter' });
      assert.deepEqual(byDevice, [{ status: 'timed_out', replyLatencyMs: 40, confirmLatencyMs: null }]);
      assert.deepEqual(await s.outcomes({ model: 'boiler' }), []);
    }));
}
