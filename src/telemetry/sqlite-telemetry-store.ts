/**
 * SQLite adapter (better-sqlite3, synchronous). A batch is one transaction of multi-row prepared
 * statements for the raw points (and events, attributes). Only points that were new feed
 * the rollups (a redelivered point is not counted twice): a chunk of 200 points is inserted under a
 * savepoint, and in the rare case that `changes` shows an existing point, the chunk is rolled back
 * and redone row by row to learn which ones were new.
 *
 * Minute and hour rollups and latest values are derived data: they are accumulated in memory across
 * batches (RollupBuffer) and flushed in one transaction when enough is pending, and before any read
 * of those tables, so readers never see them stale. Each batch transaction also widens a one-row
 * "dirty range" (min/max time of its new points); the flush clears it. After a crash the store
 * rebuilds the rollups and latest values of that range from the raw points when it opens, so an
 * acknowledged point is never lost from the rollups (docs/telemetry.md, "Storage").
 */
import type BetterSqlite3 from 'better-sqlite3';
import { sqliteTransaction } from '../store/index.js';
import { bucketOf, HOUR, MINUTE, RollupBuffer, type RollupRow } from './rollup.js';
import {
  aggExpr,
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
import {
  likePattern,
  type Agg,
  type BucketQuery,
  type TelemetryStore,
  type WriteBatch,
} from './telemetry-store.js';
import type { Point } from './types.js';

const ROLLUP_UPSERT = `ON CONFLICT (device_id, metric, bucket) DO UPDATE SET
     n = n + excluded.n, total = total + excluded.total,
     lo = min(lo, excluded.lo), hi = max(hi, excluded.hi),
     last_value = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last_value ELSE last_value END,
     last_ts = max(last_ts, excluded.last_ts)`;

/**
 * Multi-row `INSERT … VALUES (…), (…) …` statements, prepared once per row count. One statement per
 * 100-200 rows instead of per row: the per-call cost of crossing into SQLite dominated the
 * row-at-a-time version (see docs/telemetry.md, benchmark).
 */
class MultiRow<T> {
  private stmts = new Map<number, BetterSqlite3.Statement>();
  private readonly maxRows: number;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly head: string,
    private readonly row: string,
    private readonly tail: string,
    private readonly args: (t: T, out: unknown[]) => void,
    perRow: number,
  ) {
    this.maxRows = Math.max(1, Math.floor(999 / perRow));
  }

  stmt(n: number): BetterSqlite3.Statement {
    let st = this.stmts.get(n);
    if (!st) {
      st = this.db.prepare(`${this.head} VALUES ${Array<string>(n).fill(this.row).join(', ')} ${this.tail}`);
      this.stmts.set(n, st);
    }
    return st;
  }

  /** Run over `rows` in chunks; `each` receives every chunk and the rows it changed. */
  run(rows: readonly T[], each?: (chunk: readonly T[], changes: number) => void): void {
    for (let i = 0; i < rows.length; i += this.maxRows) {
      const chunk = rows.slice(i, i + this.maxRows);
      const a: unknown[] = [];
      for (const r of chunk) this.args(r, a);
      const changes = this.stmt(chunk.length).run(...a).changes;
      each?.(chunk, changes);
    }
  }
}

/** A rollup row's own value for each aggregate (when a bucket is exactly one rollup row). */
const ROW_VALUE: Record<Agg, string> = {
  avg: 'total / n',
  min: 'lo',
  max: 'hi',
  sum: 'total',
  count: 'n',
  last: 'last_value',
};
/** Above this many buckets, one index seek per bucket costs more than one grouped scan. */
const MAX_SEEK_BUCKETS = 5000;
/** Thrown (and caught) to undo a chunk's savepoint; never leaves the store. */
const CHUNK_HAD_EXISTING = new Error('chunk had an existing point');

interface BucketRow {
  b: number;
  v: number | null;
}
const toBuckets = (rows: unknown[]): { ts: number; value: number }[] =>
  (rows as BucketRow[]).map((r) => ({ ts: Number(r.b), value: Number(r.v) }));
const bind = (q: BucketQuery) => ({ deviceId: q.deviceId, metric: q.metric, from: q.from, to: q.to });

/** Flush thresholds for the in-memory rollups (pending minute rows, or points since the last flush). */
export interface RollupFlushOptions {
  maxRows: number;
  maxPoints: number;
}
export const DEFAULT_ROLLUP_FLUSH: RollupFlushOptions = { maxRows: 50_000, maxPoints: 500_000 };

export function createSqliteTelemetryStore(
  db: BetterSqlite3.Database,
  flushAt: RollupFlushOptions = DEFAULT_ROLLUP_FLUSH,
): TelemetryStore {
  const rollup = (table: string) =>
    new MultiRow<RollupRow>(
      db,
      `INSERT INTO ${table} (device_id, metric, bucket, n, total, lo, hi, last_value, last_ts)`,
      '(?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ROLLUP_UPSERT,
      (r, a) => a.push(r.deviceId, r.metric, r.bucket, r.count, r.sum, r.min, r.max, r.last, r.lastTs),
      9,
    );
  const m = {
    points: new MultiRow<Point>(
      db,
      'INSERT INTO telemetry_points (ts, device_id, metric, value)',
      '(?, ?, ?, ?)',
      'ON CONFLICT DO NOTHING',
      (p, a) => a.push(p.ts, p.deviceId, p.metric, p.value),
      4,
    ),
    m1: rollup('telemetry_rollup_1m'),
    h1: rollup('telemetry_rollup_1h'),
    latest: new MultiRow<Point>(
      db,
      'INSERT INTO telemetry_latest (device_id, metric, ts, value)',
      '(?, ?, ?, ?)',
      `ON CONFLICT (device_id, metric) DO UPDATE SET value = excluded.value, ts = max(ts, excluded.ts)
       WHERE excluded.ts >= telemetry_latest.ts OR telemetry_latest.value IS NULL`,
      (p, a) => a.push(p.deviceId, p.metric, p.ts, p.value),
      4,
    ),
  };
  const s = {
    point: db.prepare(
      'INSERT INTO telemetry_points (ts, device_id, metric, value) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    latestText: db.prepare(
      `INSERT INTO telemetry_latest (device_id, metric, ts, text) VALUES (?, ?, ?, ?)
       ON CONFLICT (device_id, metric) DO UPDATE SET text = excluded.text, ts = max(ts, excluded.ts)
       WHERE excluded.ts >= telemetry_latest.ts OR telemetry_latest.text IS NULL`,
    ),
    event: db.prepare(
      'INSERT INTO telemetry_events (device_id, ts, code, severity, message, fields) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    widenDirty: db.prepare(
      `INSERT INTO telemetry_rollup_dirty (id, lo, hi) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET lo = min(lo, excluded.lo), hi = max(hi, excluded.hi)`,
    ),
    dirty: db.prepare('SELECT lo, hi FROM telemetry_rollup_dirty WHERE id = 1'),
    clearDirty: db.prepare('DELETE FROM telemetry_rollup_dirty'),
  };
  const buffer = new RollupBuffer();
  /**
   * One chunk as a multi-row insert, all or nothing: called inside the write transaction, the
   * compiled transaction is a savepoint, undone when a row already existed (it throws then).
   */
  const chunkAllNew = sqliteTransaction(db, (chunk: readonly Point[]): void => {
    let changes = 0;
    m.points.run(chunk, (_c, n) => (changes += n));
    if (changes !== chunk.length) throw CHUNK_HAD_EXISTING;
  });
  /** Insert points; returns the ones that were new. A chunk containing an existing point is redone row by row. */
  const insertPoints = (points: readonly Point[]): Point[] => {
    const fresh: Point[] = [];
    for (let i = 0; i < points.length; i += 200) {
      const chunk = points.slice(i, i + 200);
      try {
        chunkAllNew(chunk);
        for (const p of chunk) fresh.push(p);
        continue;
      } catch (err) {
        if (err !== CHUNK_HAD_EXISTING) throw err;
      }
      for (const p of chunk) if (s.point.run(p.ts, p.deviceId, p.metric, p.value).changes > 0) fresh.push(p);
    }
    return fresh;
  };
  const writeTx = sqliteTransaction(db, (b: WriteBatch): Point[] => {
    // Duplicates inside the batch are caught like existing rows (the chunk is redone row by row).
    const fresh = insertPoints(b.points);
    if (b.points.length > 0) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const p of b.points) {
        if (p.ts < lo) lo = p.ts;
        if (p.ts > hi) hi = p.ts;
      }
      s.widenDirty.run(lo, hi);
    }
    for (const a of b.attributes) s.latestText.run(a.deviceId, a.name, a.ts, a.text);
    for (const e of b.events)
      s.event.run(
        e.deviceId,
        e.ts,
        e.code,
        e.severity,
        e.message,
        e.fields ? JSON.stringify(e.fields) : null,
      );
    return fresh;
  });
  const flushTx = sqliteTransaction(db, (rows: ReturnType<RollupBuffer['drain']>) => {
    m.m1.run(rows.minutes);
    m.h1.run(rows.hours);
    m.latest.run(rows.latest);
    s.clearDirty.run();
  });
  /** Write the in-memory rollups and latest values; the buffer is cleared only once they are committed. */
  const flush = (): void => {
    if (buffer.empty) return;
    flushTx(buffer.drain());
    buffer.clear();
  };
  /**
   * Crash recovery: the dirty range holds points whose rollups were only in memory. Rebuild the
   * minute rollups of every minute it touches from the raw points, the hour rollups of every hour
   * it touches from the minute rollups, and fold the newest raw point per series into latest.
   */
  const recover = sqliteTransaction(db, (lo: number, hi: number) => {
    const m0 = bucketOf(lo, MINUTE);
    const m1 = bucketOf(hi, MINUTE) + MINUTE;
    const h0 = bucketOf(lo, HOUR);
    const h1 = bucketOf(hi, HOUR) + HOUR;
    db.prepare('DELETE FROM telemetry_rollup_1m WHERE bucket >= ? AND bucket < ?').run(m0, m1);
    db.prepare(
      `INSERT INTO telemetry_rollup_1m (device_id, metric, bucket, n, total, lo, hi, last_value, last_ts)
       SELECT g.device_id, g.metric, g.b, g.n, g.total, g.lo, g.hi, p.value, g.last_ts FROM (
         SELECT device_id, metric, (ts / ${MINUTE}) * ${MINUTE} AS b, count(*) AS n, sum(value) AS total,
                min(value) AS lo, max(value) AS hi, max(ts) AS last_ts
         FROM telemetry_points WHERE ts >= ? AND ts < ? GROUP BY device_id, metric, b) g
       JOIN telemetry_points p ON p.ts = g.last_ts AND p.device_id = g.device_id AND p.metric = g.metric`,
    ).run(m0, m1);
    db.prepare('DELETE FROM telemetry_rollup_1h WHERE bucket >= ? AND bucket < ?').run(h0, h1);
    db.prepare(
      `INSERT INTO telemetry_rollup_1h (device_id, metric, bucket, n, total, lo, hi, last_value, last_ts)
       SELECT g.device_id, g.metric, g.b, g.n, g.total, g.lo, g.hi, r.last_value, g.last_ts FROM (
         SELECT device_id, metric, (bucket / ${HOUR}) * ${HOUR} AS b, sum(n) AS n, sum(total) AS total,
                min(lo) AS lo, max(hi) AS hi, max(last_ts) AS last_ts
         FROM telemetry_rollup_1m WHERE bucket >= ? AND bucket < ? GROUP BY device_id, metric, b) g
       JOIN telemetry_rollup_1m r ON r.device_id = g.device_id AND r.metric = g.metric
         AND r.bucket = (g.last_ts / ${MINUTE}) * ${MINUTE}`,
    ).run(h0, h1);
    const newest = db
      .prepare(
        `SELECT p.ts, p.device_id, p.metric, p.value FROM (
           SELECT device_id, metric, max(ts) AS ts FROM telemetry_points WHERE ts >= ? AND ts <= ?
           GROUP BY device_id, metric) g
         JOIN telemetry_points p ON p.ts = g.ts AND p.device_id = g.device_id AND p.metric = g.metric`,
      )
      .all(lo, hi) as PointRow[];
    m.latest.run(newest.map(toPoint));
    s.clearDirty.run();
  });
  const dirty = s.dirty.get() as { lo: number; hi: number } | undefined;
  if (dirty) recover(Number(dirty.lo), Number(dirty.hi));
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prep = (sql: string): BetterSqlite3.Statement => {
    let st = cache.get(sql);
    if (!st) {
      st = db.prepare(sql);
      cache.set(sql, st);
    }
    return st;
  };

  return {
    async write(batch) {
      const fresh = writeTx(batch);
      // Only after the commit: a failed (retried) batch must not be counted twice.
      buffer.add(fresh, batch.points);
      if (buffer.rows >= flushAt.maxRows || buffer.points >= flushAt.maxPoints) flush();
    },
    async flushRollups() {
      flush();
    },
    async queryPoints(q) {
      const sql = `SELECT ts, device_id, metric, value FROM telemetry_points
        WHERE ts >= ? AND ts < ? AND device_id = ? ${q.metric ? 'AND metric = ?' : ''} ORDER BY ts, metric LIMIT ?`;
      const args = [q.from, q.to, q.deviceId, ...(q.metric ? [q.metric] : []), q.limit];
      return (prep(sql).all(...args) as PointRow[]).map(toPoint);
    },
    async queryBuckets(q) {
      if (q.source !== 'raw') {
        flush();
        const res = q.source === 'minute' ? MINUTE : HOUR;
        const table = TABLE[q.source];
        const key = 'device_id = @deviceId AND metric = @metric';
        if (res % q.bucketMs === 0) {
          // One rollup row per bucket: read them in key order, no grouping (no temp B-tree).
          const sql = `SELECT bucket AS b, ${ROW_VALUE[q.agg]} AS v FROM ${table}
            WHERE ${key} AND bucket >= @from AND bucket < @to ORDER BY bucket`;
          const rows = prep(sql).raw(true).all(bind(q)) as [number, number][];
          return rows.map((r) => ({ ts: r[0], value: r[1] }));
        }
        const first = bucketOf(q.from, q.bucketMs);
        if ((q.to - first) / q.bucketMs <= MAX_SEEK_BUCKETS) {
          // GROUP BY (bucket / size) sorts every row through a temp B-tree (15-20 ms for 30 days of
          // minutes); one aggregate per bucket over the primary key reads the rows in index order.
          const value =
            q.agg === 'last'
              ? // A rollup row's last_ts lies inside its bucket, so the newest row is the one with the greatest bucket.
                `(SELECT last_value FROM ${table} WHERE ${key} AND bucket >= max(s.b, @from)
                   AND bucket < min(s.b + @size, @to) ORDER BY bucket DESC LIMIT 1)`
              : `(SELECT ${aggExpr(q.agg, q.source)} FROM ${table} WHERE ${key}
                   AND bucket >= max(s.b, @from) AND bucket < min(s.b + @size, @to))`;
          const sql = `WITH RECURSIVE s(b) AS (SELECT @first UNION ALL SELECT b + @size FROM s WHERE b + @size < @to)
            SELECT s.b AS b, ${value} AS v FROM s`;
          // Empty buckets come back as NULL (filtered here: filtering in SQL evaluates the subquery twice).
          return toBuckets(
            (prep(sql).all({ ...bind(q), first, size: q.bucketMs }) as BucketRow[]).filter(
              (r) => r.v !== null,
            ),
          );
        }
      }
      const t = TIME_COL[q.source];
      const value =
        q.agg === 'last'
          ? `max(${q.source === 'raw' ? 'ts' : 'last_ts'}) AS _mt, ${q.source === 'raw' ? 'value' : 'last_value'}`
          : aggExpr(q.agg, q.source);
      // SQLite: with a single max() aggregate, a bare column comes from the row holding the max.
      const sql = `SELECT (${t} / CAST(? AS INTEGER)) * ? AS b, ${value} AS v FROM ${TABLE[q.source]}
        WHERE device_id = ? AND metric = ? AND ${t} >= ? AND ${t} < ? GROUP BY b ORDER BY b`;
      return toBuckets(prep(sql).all(q.bucketMs, q.bucketMs, q.deviceId, q.metric, q.from, q.to));
    },
    async latest(q) {
      flush();
      const metric = q.metric ? ' AND metric = ?' : '';
      if (!q.deviceIds) {
        const sql = `SELECT * FROM telemetry_latest WHERE 1 = 1${metric} ORDER BY device_id, metric LIMIT ?`;
        return (prep(sql).all(...(q.metric ? [q.metric] : []), q.limit) as LatestRow[]).map(toLatest);
      }
      const out = [];
      for (let i = 0; i < q.deviceIds.length && out.length < q.limit; i += 500) {
        const ids = q.deviceIds.slice(i, i + 500);
        const sql = `SELECT * FROM telemetry_latest WHERE device_id IN (${ids.map(() => '?').join(',')})${metric} ORDER BY device_id, metric LIMIT ?`;
        out.push(
          ...(
            db.prepare(sql).all(...ids, ...(q.metric ? [q.metric] : []), q.limit - out.length) as LatestRow[]
          ).map(toLatest),
        );
      }
      return out;
    },
    async queryEvents(q) {
      const where = ['device_id = ?', 'ts >= ?', 'ts < ?'];
      const args: unknown[] = [q.deviceId, q.from, q.to];
      const add = (clause: string, ...vals: unknown[]): void => {
        where.push(clause);
        args.push(...vals);
      };
      if (q.code) add('code = ?', q.code);
      if (q.severity) add('severity = ?', q.severity);
      if (q.q)
        add("(message LIKE ? ESCAPE '\\' OR code LIKE ? ESCAPE '\\')", likePattern(q.q), likePattern(q.q));
      if (q.before) add('(ts < ? OR (ts = ? AND id < ?))', q.before.ts, q.before.ts, q.before.id);
      const sql = `SELECT * FROM telemetry_events WHERE ${where.join(' AND ')} ORDER BY ts DESC, id DESC LIMIT ?`;
      return (prep(sql).all(...args, q.limit) as EventRow[]).map(toEvent);
    },
    async deleteBefore(table, before, limit) {
      if (table === 'minute' || table === 'hour') flush();
      const sql =
        table === 'events'
          ? 'DELETE FROM telemetry_events WHERE id IN (SELECT id FROM telemetry_events WHERE ts < ? LIMIT ?)'
          : table === 'raw'
            ? 'DELETE FROM telemetry_points WHERE (ts, device_id, metric) IN (SELECT ts, device_id, metric FROM telemetry_points WHERE ts < ? ORDER BY ts LIMIT ?)'
            : `DELETE FROM ${TABLE[table]} WHERE (device_id, metric, bucket) IN (SELECT device_id, metric, bucket FROM ${TABLE[table]} WHERE bucket < ? LIMIT ?)`;
      return prep(sql).run(before, limit).changes;
    },
    async listDecoders() {
      return (
        prep('SELECT definition FROM telemetry_decoders ORDER BY id').all() as { definition: string }[]
      ).map(toDecoder);
    },
    async getDecoder(id) {
      const r = prep('SELECT definition FROM telemetry_decoders WHERE id = ?').get(id) as
        { definition: string } | undefined;
      return r && toDecoder(r);
    },
    async putDecoder(def, at) {
      const existed = prep('SELECT 1 FROM telemetry_decoders WHERE id = ?').get(def.id) !== undefined;
      prep(
        `INSERT INTO telemetry_decoders (id, type, definition, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET type = excluded.type, definition = excluded.definition, updated_at = excluded.updated_at`,
      ).run(def.id, def.type, JSON.stringify(def), at);
      return !existed;
    },
    async deleteDecoder(id) {
      return prep('DELETE FROM telemetry_decoders WHERE id = ?').run(id).changes > 0;
    },
  };
}
