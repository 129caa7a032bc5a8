/** One contract suite for RulesStore; rules-store.test.ts runs it against SQLite and PostgreSQL. */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { RulesStore } from './rules-store.js';
import type { Delivery, RuleDef } from './types.js';

export type OpenStore = (t: TestContext) => Promise<RulesStore | undefined>;

const rule = (name: string, sql = "SELECT * FROM 'a/+'"): RuleDef => ({
  name,
  sql,
  enabled: true,
  actions: [{ type: 'republish', topic: 'out/${topic(2)}', qos: 1 }],
});

export function delivery(id: string, over: Partial<Delivery> = {}): Delivery {
  return {
    id,
    rule: 'r1',
    action: 0,
    actionType: 'republish',
    request: { target: 'out/x', body: Buffer.from('{}').toString('base64'), contentType: 'application/json' },
    origin: { topic: 'a/x', clientId: 'dev', payload: 'e30=' },
    status: 'pending',
    attempts: 0,
    maxAttempts: 3,
    nextAttemptAt: 100,
    lastError: null,
    createdAt: 100,
    updatedAt: 100,
    ...over,
  };
}

export function rulesStoreContract(name: string, open: OpenStore): void {
  describe(`RulesStore contract: ${name}`, () => {
    test('rules: put, get, list, replace (returns the previous version), delete, count', async (t) => {
      const s = await open(t);
      if (!s) return;
      assert.equal(await s.putRule(rule('b'), 1), undefined);
      assert.equal(await s.putRule(rule('a'), 2), undefined);
      assert.equal(await s.countRules(), 2);
      assert.deepEqual(
        (await s.listRules()).map((r) => r.name),
        ['a', 'b'],
      );
      const prev = await s.putRule({ ...rule('a', "SELECT x FROM 'b'"), enabled: false }, 5);
      assert.equal(prev?.sql, "SELECT * FROM 'a/+'");
      const got = await s.getRule('a');
      assert.equal(got?.sql, "SELECT x FROM 'b'");
      assert.equal(got?.enabled, false);
      assert.equal(got?.createdAt, 2);
      assert.equal(got?.updatedAt, 5);
      assert.deepEqual(got?.actions, rule('a').actions);
      assert.equal((await s.deleteRule('a'))?.name, 'a');
      assert.equal(await s.deleteRule('a'), undefined);
      assert.equal(await s.getRule('a'), undefined);
    });

    test('queue: enqueue, due in order, claim excludes others until it ends, settle needs the claim', async (t) => {
      const s = await open(t);
      if (!s) return;
      await s.enqueue([
        delivery('d2', { nextAttemptAt: 200 }),
        delivery('d1'),
        delivery('d3', { nextAttemptAt: 900 }),
      ]);
      assert.deepEqual(
        (await s.due(500, 10)).map((d) => d.id),
        ['d1', 'd2'],
      );
      const c = await s.claim('d1', 'node-a', 100, 1000);
      assert.ok('claimed' in c);
      assert.deepEqual(c.claimed.request, delivery('d1').request);
      assert.deepEqual(await s.claim('d1', 'node-b', 500, 2000), { busyUntil: 1000 });
      // The claim ran out: another claimant may take it, and the first one can no longer settle.
      assert.ok('claimed' in (await s.claim('d1', 'node-b', 1001, 3000)));
      const d1 = { ...c.claimed, attempts: 1, nextAttemptAt: 5000, lastError: 'boom', updatedAt: 1001 };
      assert.equal(await s.settle(d1, 'node-a'), false);
      assert.equal(await s.settle(d1, 'node-b'), true);
      assert.deepEqual(
        (await s.due(4999, 10)).map((d) => d.id),
        ['d2', 'd3'],
      );
      const [again] = await s.listDeliveries('r1', 'pending', 10).then((l) => l.filter((d) => d.id === 'd1'));
      assert.equal(again?.lastError, 'boom');
      assert.equal(again?.attempts, 1);
      assert.deepEqual(Object.fromEntries(await s.pendingByRule()), { r1: 3 });
    });

    test('settleAndEnqueue: the outcome and the error action in one step; delivered rows purge', async (t) => {
      const s = await open(t);
      if (!s) return;
      await s.enqueue([delivery('d1'), delivery('d2')]);
      const c = await s.claim('d1', 'n', 100, 1000);
      assert.ok('claimed' in c);
      const failed = {
        ...c.claimed,
        status: 'failed' as const,
        attempts: 3,
        lastError: 'HTTP 500',
        updatedAt: 150,
      };
      assert.equal(await s.settleAndEnqueue(failed, 'n', [delivery('e1', { action: -1 })]), true);
      assert.deepEqual(await s.claim('d1', 'n', 160, 1000), { gone: true });
      assert.equal((await s.listDeliveries('r1', 'failed', 10))[0]?.lastError, 'HTTP 500');
      assert.ok((await s.listDeliveries('r1', 'pending', 10)).some((d) => d.id === 'e1' && d.action === -1));
      // Not claimed: nothing is written, nothing queued.
      assert.equal(
        await s.settleAndEnqueue({ ...delivery('d2'), status: 'delivered' }, 'n', [delivery('e2')]),
        false,
      );
      assert.equal((await s.listDeliveries('r1', undefined, 10)).length, 3);
      const c2 = await s.claim('d2', 'n', 100, 1000);
      assert.ok('claimed' in c2);
      assert.equal(
        await s.settle({ ...c2.claimed, status: 'delivered', attempts: 1, updatedAt: 200 }, 'n'),
        true,
      );
      assert.equal(await s.purgeDelivered(150), 0);
      assert.equal(await s.purgeDelivered(201), 1);
    });

    test('a large batch is queued whole', async (t) => {
      const s = await open(t);
      if (!s) return;
      await s.enqueue(Array.from({ length: 1203 }, (_, i) => delivery(`b${i}`)));
      assert.equal((await s.due(1000, 5000)).length, 1203);
    });
  });
}
