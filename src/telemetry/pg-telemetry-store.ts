/**
 * PostgreSQL adapter: a batch is one transaction of a handful of statements, each moving whole
 * columns as arrays through `unnest` (one round trip per table, not per point). Points that already
 * existed are skipped (ON CONFLICT DO NOTHING … RETURNING tells which were new) so rollups count
 * every point exactly once.
 */
import { pgTransaction, type PostgresDatabase } from '../store/index.js';
import { aggregate, dedupePoints, HOUR, MINUTE, type RollupRow } from './rollup.js';
import {
  aggExpr,
  newestPerSeries,
  TABLE,
  TIME_COL,
  toDecoder,
  toEvent,
  toLatest,
  toPoint,
  type EventRow,
  type LatestRow,
  type PointRow,
} from './sql-common.js';
import { likePattern, type TelemetryStore } from './telemetry-store.js';
import type { Attribute } from './types.js';

type Queryable = Pick<PostgresDatabase['pool'], 'query'>;

async function upsertRollups(c: Queryable, table: string, rows: RollupRow[]): Promise<void> {
  if (rows.length === 0) return;
  await c.query(
    `INSERT INTO ${table} AS r (device_id, metric, bucket, n, total, lo, hi, last_value, last_ts)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::bigint[])
     ON CONFLICT (device_id, metric, bucket) DO UPDATE SET
       n = r.n + excluded.n, total = r.total + excluded.total,
       lo = LEAST(r.lo, excluded.lo), hi = GREATEST(r.hi, excluded.hi),
       last_value = CASE WHEN excluded.last_ts >= r.last_ts THEN excluded.last_value ELSE r.last_value END,
       last_ts = GREATEST(r.last_ts, excluded.last_ts)`,
    [
      rows.map((r) => r.deviceId),
      rows.map((r) => r.metric),
      rows.map((r) => r.bucket),
      rows.map((r) => r.count),
      rows.map((r) => r.sum),
      rows.map((r) => r.min),
      rows.map((r) => r.max),
      rows.map((r) => r.last),
      rows.map((r) => r.lastTs),
    ],
  );
}

function newestAttributes(attrs: readonly Attribute[]): Attribute[] {
  const m = new Map<string, Attribute>();
  for (const a of attrs) {
    const k = `${a.deviceId}\u0000${a.name}`;
    const cur = m.get(k);
    if (!cur || a.ts >= cur.ts) m.set(k, a);
  }
  return [...m.values()];
}

export function createPgTelemetryStore(database: PostgresDatabase): TelemetryStore {
  const pool = database.pool;
  return {
    async write(b) {
      await pgTransaction(pool, async (client) => {
        const points = dedupePoints(b.points);
        if (points.length > 0) {
          const ins = await client.query<PointRow>(
            `INSERT INTO telemetry_points (ts, device_id, metric, value)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::float8[])
             ON CONFLICT DO NOTHING RETURNING ts, device_id, metric, value`,
            [
              points.map((p) => p.ts),
              points.map((p) => p.deviceId),
              points.map((p) => p.metric),
              points.map((p) => p.value),
            ],
          );
          const fresh = ins.rows.map(toPoint);
          await upsertRollups(client, 'telemetry_rollup_1m', aggregate(fresh, MINUTE));
          await upsertRollups(client, 'telemetry_rollup_1h', aggregate(fresh, HOUR));
          const latest = newestPerSeries(points);
          await client.query(
            `INSERT INTO telemetry_latest AS l (device_id, metric, ts, value)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[])
             ON CONFLICT (device_id, metric) DO UPDATE SET value = excluded.value, ts = GREATEST(l.ts, excluded.ts)
             WHERE excluded.ts >= l.ts OR l.value IS NULL`,
            [
              latest.map((p) => p.deviceId),
              latest.map((p) => p.metric),
              latest.map((p) => p.ts),
              latest.map((p) => p.value),
            ],
          );
        }
        const attrs = newestAttributes(b.attributes);
        if (attrs.length > 0)
          await client.query(
            `INSERT INTO telemetry_latest AS l (device_id, metric, ts, text)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[])
             ON CONFLICT (device_id, metric) DO UPDATE SET text = excluded.text, ts = GREATEST(l.ts, excluded.ts)
             WHERE excluded.ts >= l.ts OR l.text IS NULL`,
            [
              attrs.map((a) => a.deviceId),
              attrs.map((a) => a.name),
              attrs.map((a) => a.ts),
              attrs.map((a) => a.text),
            ],
          );
        if (b.events.length > 0)
          await client.query(
            `INSERT INTO telemetry_events (device_id, ts, code, severity, message, fields)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])`,
            [
              b.events.map((e) => e.deviceId),
              b.events.map((e) => e.ts),
              b.events.map((e) => e.code),
              b.events.map((e) => e.severity),
              b.events.map((e) => e.message),
              b.events.map((e) => (e.fields ? JSON.stringify(e.fields) : null)),
            ],
          );
      });
    },
    async flushRollups() {
      // Rollups and latest values are written in each batch's transaction: nothing is held back.
    },
    async queryPoints(q) {
      const args: unknown[] = [q.from, q.to, q.deviceId, q.limit];
      if (q.metric) args.push(q.metric);
      const r = await pool.query<PointRow>(
        `SELECT ts, device_id, metric, value FROM telemetry_points
         WHERE ts >= $1 AND ts < $2 AND device_id = $3 ${q.metric ? 'AND metric = $5' : ''} ORDER BY ts, metric LIMIT $4`,
        args,
      );
      return r.rows.map(toPoint);
    },
    async queryBuckets(q) {
      const t = TIME_COL[q.source];
      const value =
        q.agg === 'last'
          ? q.source === 'raw'
            ? '(array_agg(value ORDER BY ts DESC))[1]'
            : '(array_agg(last_value ORDER BY last_ts DESC))[1]'
          : aggExpr(q.agg, q.source);
      const r = await pool.query<{ b: string; v: string | number }>(
        `SELECT (${t} / $1::bigint) * $1::bigint AS b, ${value} AS v FROM ${TABLE[q.source]}
         WHERE device_id = $2 AND metric = $3 AND ${t} >= $4 AND ${t} < $5 GROUP BY b ORDER BY b`,
        [q.bucketMs, q.deviceId, q.metric, q.from, q.to],
      );
      return r.rows.map((row) => ({ ts: Number(row.b), value: Number(row.v) }));
    },
    async latest(q) {
      const args: unknown[] = [q.limit];
      const where: string[] = [];
      if (q.deviceIds) {
        args.push(q.deviceIds);
        where.push(`device_id = ANY($${args.length}::text[])`);
      }
      if (q.metric) {
        args.push(q.metric);
        where.push(`metric = $${args.length}`);
      }
      const r = await pool.query<LatestRow>(
        `SELECT * FROM telemetry_latest ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY device_id, metric LIMIT $1`,
        args,
      );
      return r.rows.map(toLatest);
    },
    async queryEvents(q) {
      const args: unknown[] = [q.deviceId, q.from, q.to];
      const where = ['device_id = $1', 'ts >= $2', 'ts < $3'];
      const add = (clause: (n: number) => string, ...vals: unknown[]): void => {
        const n = args.length + 1;
        args.push(...vals);
        where.push(clause(n));
      };
      if (q.code) add((n) => `code = $${n}`, q.code);
      if (q.severity) add((n) => `severity = $${n}`, q.severity);
      if (q.q) add((n) => `(message ILIKE $${n} OR code ILIKE $${n})`, likePattern(q.q));
      if (q.before) add((n) => `(ts < $${n} OR (ts = $${n} AND id < $${n + 1}))`, q.before.ts, q.before.id);
      args.push(q.limit);
      const r = await pool.query<EventRow>(
        `SELECT * FROM telemetry_events WHERE ${where.join(' AND ')} ORDER BY ts DESC, id DESC LIMIT $${args.length}`,
        args,
      );
      return r.rows.map(toEvent);
    },
    async deleteBefore(table, before, limit) {
      const t = table === 'events' ? 'telemetry_events' : TABLE[table];
      const col = table === 'events' || table === 'raw' ? 'ts' : 'bucket';
      const r = await pool.query(
        `DELETE FROM ${t} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${t} WHERE ${col} < $1 LIMIT $2))`,
        [before, limit],
      );
      return r.rowCount ?? 0;
    },
    async listDecoders() {
      const r = await pool.query<{ definition: string }>(
        'SELECT definition FROM telemetry_decoders ORDER BY id',
      );
      return r.rows.map(toDecoder);
    },
    async getDecoder(id) {
      const r = await pool.query<{ definition: string }>(
        'SELECT definition FROM telemetry_decoders WHERE id = $1',
        [id],
      );
      return r.rows[0] && toDecoder(r.rows[0]);
    },
    async putDecoder(def, at) {
      const r = await pool.query<{ inserted: boolean }>(
        `INSERT INTO telemetry_decoders (id, type, definition, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET type = excluded.type, definition = excluded.definition, updated_at = excluded.updated_at
         RETURNING (xmax = 0) AS inserted`,
        [def.id, def.type, JSON.stringify(def), at],
      );
      return r.rows[0]?.inserted === true;
    },
    async deleteDecoder(id) {
      const r = await pool.query('DELETE FROM telemetry_decoders WHERE id = $1', [id]);
      return (r.rowCount ?? 0) > 0;
    },
  };
}
