/** RulesStore on PostgreSQL (the scale-out backend). */
import type pg from 'pg';
import type { PostgresDatabase } from '../store/index.js';
import { migrate, pgTransaction } from '../store/index.js';
import { rulesMigrations } from './migrations.js';
import type { RulesStore } from './rules-store.js';
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
import type { Delivery } from './types.js';

const NCOLS = DELIVERY_COLUMNS.split(',').length;
const SETTLE =
  'UPDATE rules_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4, updated_at = $5, claim_owner = NULL, claim_until = 0 WHERE id = $6 AND claim_owner = $7';

async function insert(q: pg.Pool | pg.PoolClient, ds: Delivery[]): Promise<void> {
  // Batches of 500 rows per statement (PostgreSQL allows 65535 parameters).
  for (let i = 0; i < ds.length; i += 500) {
    const chunk = ds.slice(i, i + 500);
    const params: unknown[] = [];
    const tuples = chunk.map((d, j) => {
      params.push(...deliveryParams(d));
      return `(${Array.from({ length: NCOLS }, (_, k) => `$${j * NCOLS + k + 1}`).join(', ')})`;
    });
    await q.query(`INSERT INTO rules_deliveries (${DELIVERY_COLUMNS}) VALUES ${tuples.join(', ')}`, params);
  }
}

export async function createPgRulesStore(database: PostgresDatabase): Promise<RulesStore> {
  await migrate(database, 'rules', rulesMigrations);
  const pool = database.pool;
  const getRule = async (q: pg.Pool | pg.PoolClient, name: string, lock = false) => {
    const r = await q.query<RuleRow>(
      `SELECT * FROM rules_rules WHERE name = $1${lock ? ' FOR UPDATE' : ''}`,
      [name],
    );
    return r.rows[0] ? toRule(r.rows[0]) : undefined;
  };
  return {
    listRules: async () =>
      (await pool.query<RuleRow>('SELECT * FROM rules_rules ORDER BY name')).rows.map(toRule),
    getRule: (name) => getRule(pool, name),
    putRule: (def, now) =>
      pgTransaction(pool, async (c) => {
        const prev = await getRule(c, def.name, true);
        await c.query(
          'INSERT INTO rules_rules (name, definition, created_at, updated_at) VALUES ($1, $2, $3, $3) ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at',
          [def.name, ruleDefinition(def), now],
        );
        return prev;
      }),
    async deleteRule(name) {
      const r = await pool.query<RuleRow>('DELETE FROM rules_rules WHERE name = $1 RETURNING *', [name]);
      return r.rows[0] ? toRule(r.rows[0]) : undefined;
    },
    countRules: async () =>
      Number((await pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM rules_rules')).rows[0]!.n),
    async enqueue(ds) {
      if (ds.length === 0) return;
      if (ds.length <= 500) return insert(pool, ds);
      await pgTransaction(pool, (c) => insert(c, ds));
    },
    due: async (before, limit) =>
      (
        await pool.query<DeliveryRow>(
          "SELECT * FROM rules_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2",
          [before, limit],
        )
      ).rows.map(toDelivery),
    claim: (id, claimant, now, until) =>
      pgTransaction(pool, async (c) => {
        const row = (
          await c.query<DeliveryRow>('SELECT * FROM rules_deliveries WHERE id = $1 FOR UPDATE', [id])
        ).rows[0];
        const o = claimOutcome(row, claimant, now);
        if (o === 'gone') return { gone: true as const };
        if (typeof o === 'number') return { busyUntil: o };
        await c.query('UPDATE rules_deliveries SET claim_owner = $1, claim_until = $2 WHERE id = $3', [
          claimant,
          until,
          id,
        ]);
        return { claimed: toDelivery(row!) };
      }),
    settle: async (d, claimant) => ((await pool.query(SETTLE, settleParams(d, claimant))).rowCount ?? 0) > 0,
    settleAndEnqueue: (d, claimant, next) =>
      pgTransaction(pool, async (c) => {
        if (((await c.query(SETTLE, settleParams(d, claimant))).rowCount ?? 0) === 0) return false;
        await insert(c, next);
        return true;
      }),
    async listDeliveries(rule, status, limit) {
      const r = status
        ? await pool.query<DeliveryRow>(
            'SELECT * FROM rules_deliveries WHERE rule = $1 AND status = $2 ORDER BY created_at DESC LIMIT $3',
            [rule, status, limit],
          )
        : await pool.query<DeliveryRow>(
            'SELECT * FROM rules_deliveries WHERE rule = $1 ORDER BY created_at DESC LIMIT $2',
            [rule, limit],
          );
      return r.rows.map(toDelivery);
    },
    async pendingByRule() {
      const r = await pool.query<{ rule: string; n: string }>(
        "SELECT rule, COUNT(*) AS n FROM rules_deliveries WHERE status = 'pending' GROUP BY rule",
      );
      return new Map(r.rows.map((x) => [x.rule, Number(x.n)]));
    },
    purgeDelivered: async (before) =>
      (
        await pool.query("DELETE FROM rules_deliveries WHERE status = 'delivered' AND updated_at < $1", [
          before,
        ])
      ).rowCount ?? 0,
  };
}
