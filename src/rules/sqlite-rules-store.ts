/** RulesStore on the embedded SQLite database. */
import type { SqliteDatabase } from '../store/index.js';
import { migrate, sqliteTransaction } from '../store/index.js';
import { rulesMigrations } from './migrations.js';
import type { ClaimResult, RulesStore } from './rules-store.js';
import {
  claimOutcome,
  DELIVERY_COLUMNS,
  deliveryParams,
  ruleDefinition,
  settleParams,
  toDelivery,
  toRule,
  type DeliveryRow,
  type RuleRow,
} from './rows.js';
import type { Delivery, DeliveryStatus, RuleDef, StoredRule } from './types.js';

const SETTLE =
  'UPDATE rules_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, updated_at = ?, claim_owner = NULL, claim_until = 0 WHERE id = ? AND claim_owner = ?';

export async function createSqliteRulesStore(database: SqliteDatabase): Promise<RulesStore> {
  await migrate(database, 'rules', rulesMigrations);
  const db = database.db;
  const insert = db.prepare(
    `INSERT INTO rules_deliveries (${DELIVERY_COLUMNS}) VALUES (${DELIVERY_COLUMNS.split(',')
      .map(() => '?')
      .join(', ')})`,
  );
  const settle = db.prepare(SETTLE);
  const enqueue = sqliteTransaction(db, (ds: Delivery[]) => {
    for (const d of ds) insert.run(...deliveryParams(d));
  });
  const settleAndEnqueue = sqliteTransaction(db, (d: Delivery, claimant: string, next: Delivery[]) => {
    if (settle.run(...settleParams(d, claimant)).changes === 0) return false;
    for (const n of next) insert.run(...deliveryParams(n));
    return true;
  });
  const claim = sqliteTransaction(
    db,
    (id: string, claimant: string, now: number, until: number): ClaimResult => {
      const row = db.prepare('SELECT * FROM rules_deliveries WHERE id = ?').get(id) as
        DeliveryRow | undefined;
      const o = claimOutcome(row, claimant, now);
      if (o === 'gone') return { gone: true };
      if (typeof o === 'number') return { busyUntil: o };
      db.prepare('UPDATE rules_deliveries SET claim_owner = ?, claim_until = ? WHERE id = ?').run(
        claimant,
        until,
        id,
      );
      return { claimed: toDelivery(row!) };
    },
  );
  const getRule = (name: string): StoredRule | undefined => {
    const r = db.prepare('SELECT * FROM rules_rules WHERE name = ?').get(name) as RuleRow | undefined;
    return r ? toRule(r) : undefined;
  };
  const putRule = sqliteTransaction(db, (def: RuleDef, now: number) => {
    const prev = getRule(def.name);
    db.prepare(
      'INSERT INTO rules_rules (name, definition, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at',
    ).run(def.name, ruleDefinition(def), now, now);
    return prev;
  });
  return {
    listRules: () =>
      Promise.resolve((db.prepare('SELECT * FROM rules_rules ORDER BY name').all() as RuleRow[]).map(toRule)),
    getRule: (name) => Promise.resolve(getRule(name)),
    putRule: (def, now) => Promise.resolve(putRule(def, now)),
    deleteRule(name) {
      const prev = getRule(name);
      db.prepare('DELETE FROM rules_rules WHERE name = ?').run(name);
      return Promise.resolve(prev);
    },
    countRules: () =>
      Promise.resolve((db.prepare('SELECT COUNT(*) AS n FROM rules_rules').get() as { n: number }).n),
    enqueue(ds) {
      if (ds.length > 0) enqueue(ds);
      return Promise.resolve();
    },
    due: (before, limit) =>
      Promise.resolve(
        (
          db
            .prepare(
              "SELECT * FROM rules_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
            )
            .all(before, limit) as DeliveryRow[]
        ).map(toDelivery),
      ),
    claim: (id, claimant, now, until) => Promise.resolve(claim(id, claimant, now, until)),
    settle: (d, claimant) => Promise.resolve(settle.run(...settleParams(d, claimant)).changes > 0),
    settleAndEnqueue: (d, claimant, next) => Promise.resolve(settleAndEnqueue(d, claimant, next)),
    listDeliveries(rule: string, status: DeliveryStatus | undefined, limit: number) {
      const rows = status
        ? db
            .prepare(
              'SELECT * FROM rules_deliveries WHERE rule = ? AND status = ? ORDER BY created_at DESC LIMIT ?',
            )
            .all(rule, status, limit)
        : db
            .prepare('SELECT * FROM rules_deliveries WHERE rule = ? ORDER BY created_at DESC LIMIT ?')
            .all(rule, limit);
      return Promise.resolve((rows as DeliveryRow[]).map(toDelivery));
    },
    pendingByRule() {
      const rows = db
        .prepare("SELECT rule, COUNT(*) AS n FROM rules_deliveries WHERE status = 'pending' GROUP BY rule")
        .all() as {
        rule: string;
        n: number;
      }[];
      return Promise.resolve(new Map(rows.map((r) => [r.rule, r.n])));
    },
    purgeDelivered: (before) =>
      Promise.resolve(
        db.prepare("DELETE FROM rules_deliveries WHERE status = 'delivered' AND updated_at < ?").run(before)
          .changes,
      ),
  };
}
