/**
 * Rule secrets at rest: the HTTP signing secret and the connection URLs (with passwords) of the
 * PostgreSQL/AMQP/NATS actions are encrypted in the rules table, plain in memory; rules stored in
 * plain text by an older version are sealed on start without changing their times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../core/index.js';
import { openSqlite, type SqliteDatabase } from '../store/index.js';
import { sealedRulesStore, sealPlainRules } from './sealed-store.js';
import { createSqliteRulesStore } from './sqlite-rules-store.js';
import { startRulesHarness } from './test-harness.js';
import type { RuleDef } from './types.js';

const rule: RuleDef = {
  name: 'with_secrets',
  sql: "SELECT * FROM 'a/+'",
  enabled: true,
  actions: [
    { type: 'http', url: 'http://127.0.0.1:9/hook', secret: 'hmac-s3cret' },
    { type: 'postgres', url: 'postgres://writer:pg-passw0rd@127.0.0.1:5432/test', table: 't', values: {} },
  ],
  errorAction: {
    type: 'amqp',
    url: 'amqp://guest:amqp-passw0rd@127.0.0.1:5672',
    exchange: '',
    routingKey: 'errors',
  },
} as unknown as RuleDef;

const PLAIN = ['hmac-s3cret', 'pg-passw0rd', 'amqp-passw0rd'];

function rawDefinitions(db: SqliteDatabase): string {
  return (db.db.prepare('SELECT definition FROM rules_rules').all() as { definition: string }[])
    .map((r) => r.definition)
    .join('\n');
}

test('rule secrets are sealed in the table and opened on read', async () => {
  const db = openSqlite(join(mkdtempSync(join(tmpdir(), 'tsunagu-rules-seal-')), 'r.db'));
  const raw = await createSqliteRulesStore(db);
  const box = new SecretBox(randomBytes(32));
  const store = sealedRulesStore(raw, box);
  await store.putRule(rule, 1000);

  const stored = rawDefinitions(db);
  for (const p of PLAIN) assert.ok(!stored.includes(p), `${p} is not stored in plain text`);
  assert.match(stored, /enc:v1:/);

  const back = await store.getRule('with_secrets');
  assert.deepEqual(back!.actions, rule.actions);
  assert.deepEqual(back!.errorAction, rule.errorAction);
  assert.deepEqual((await store.listRules())[0]!.actions, rule.actions);
  // The previous version comes back opened too (the service compares and audits it, masked).
  const prev = await store.putRule({ ...rule, sql: "SELECT * FROM 'b/+'" }, 2000);
  assert.deepEqual(prev!.actions, rule.actions);
  await db.close();
});

test('plain rules from an older version are sealed on start, keeping their times', async () => {
  const db = openSqlite(join(mkdtempSync(join(tmpdir(), 'tsunagu-rules-seal-')), 'r.db'));
  const raw = await createSqliteRulesStore(db);
  await raw.putRule(rule, 1234);
  const box = new SecretBox(randomBytes(32));
  assert.equal(await sealPlainRules(raw, box), 1);
  assert.equal(await sealPlainRules(raw, box), 0, 'sealing twice changes nothing');
  for (const p of PLAIN) assert.ok(!rawDefinitions(db).includes(p));
  const back = await sealedRulesStore(raw, box).getRule('with_secrets');
  assert.deepEqual(back!.actions, rule.actions);
  assert.equal(back!.updatedAt, 1234);
  await db.close();
});

test('through the rules module: the secret works, is masked in the API and sealed at rest', async () => {
  const h = await startRulesHarness();
  try {
    await h.rules.service.create(
      {
        name: 'to_http',
        sql: "SELECT * FROM 'http/+'",
        actions: [{ type: 'http', url: 'http://127.0.0.1:9/hook', secret: 'hmac-s3cret' }],
      },
      { kind: 'system', id: 'test' },
    );
    assert.equal(((await h.rules.service.get('to_http')).actions[0] as { secret?: string }).secret, '***');
    assert.ok(!rawDefinitions(h.db as SqliteDatabase).includes('hmac-s3cret'));
    // After a restart (a new module on the same database) the stored secret still opens.
    await h.restart();
    const exported = await h.rules.service.exportAll();
    assert.ok(exported.some((r) => r.name === 'to_http'));
  } finally {
    await h.close();
  }
});
