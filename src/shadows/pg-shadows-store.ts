/**
 * PostgreSQL adapter of the shadows store. Several nodes may write one shadow: `mutate` locks the
 * row (`SELECT … FOR UPDATE`) so they queue up; `save` is a version-checked write in the same
 * transaction as the history entry, so a lost race changes nothing and returns false.
 */
import { pgTransaction, type PostgresDatabase } from '../store/index.js';
import type { ShadowDocument } from './document.js';
import {
  assertDistinct,
  documentParams,
  historyParams,
  rowToDocument,
  rowToHistory,
  type DocumentRow,
  type HistoryRow,
  type BatchResult,
  type HistoryEntry,
  type Mutation,
  type HistoryQuery,
  type ShadowKey,
  type ShadowStore,
} from './shadows-store.js';

/** Column arrays for `unnest`: one statement writes a whole batch. */
const docArrays = (docs: ShadowDocument[]) => {
  const cols: unknown[][] = [[], [], [], [], [], [], []];
  for (const d of docs) documentParams(d).forEach((v, i) => cols[i]!.push(v));
  return cols;
};
const historyArrays = (es: HistoryEntry[]) => {
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const e of es) historyParams(e).forEach((v, i) => cols[i]!.push(v));
  return cols;
};
const DOC_UNNEST =
  'unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::bool[])';
const keyOf = (deviceId: string, name: string): string => `${deviceId}\u0000${name}`;

export function pgShadowStore(database: PostgresDatabase): ShadowStore {
  const pool = database.pool;

  function where(deviceId: string, name: string, q: Omit<HistoryQuery, 'limit' | 'offset'>) {
    const clauses = ['device_id = $1', 'name = $2'];
    const args: (string | number)[] = [deviceId, name];
    if (q.from !== undefined) {
      args.push(q.from);
      clauses.push(`at >= $${args.length}`);
    }
    if (q.to !== undefined) {
      args.push(q.to);
      clauses.push(`at < $${args.length}`);
    }
    return { sql: clauses.join(' AND '), args };
  }

  const insertDoc = `INSERT INTO shadows_documents (device_id, name, version, state, metadata, updated_at, deleted)
    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (device_id, name) DO NOTHING`;
  const updateDoc = `UPDATE shadows_documents SET version = $3, state = $4, metadata = $5, updated_at = $6, deleted = $7
    WHERE device_id = $1 AND name = $2`;
  const insertHistory = `INSERT INTO shadows_history (device_id, name, version, op, at, actor_kind, actor_id, request, state)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;
  return {
    async mutate<T>(
      deviceId: string,
      name: string,
      fn: (c: ShadowDocument | undefined) => Mutation<T>,
    ): Promise<T> {
      // A missing row cannot be locked: two nodes creating one shadow race on the INSERT, and the
      // loser (0 rows) runs again, this time finding and locking the row. Two attempts suffice.
      for (let attempt = 0; attempt < 3; attempt++) {
        // A lost INSERT race wrote nothing: that transaction commits empty and the loop runs again.
        const done = await pgTransaction(pool, async (client): Promise<{ result: T } | undefined> => {
          const r = await client.query<DocumentRow>(
            'SELECT * FROM shadows_documents WHERE device_id = $1 AND name = $2 FOR UPDATE',
            [deviceId, name],
          );
          const current = r.rows[0] ? rowToDocument(r.rows[0]) : undefined;
          const m = fn(current);
          const w = await client.query(current ? updateDoc : insertDoc, documentParams(m.doc));
          if (w.rowCount === 0) return undefined;
          await client.query(insertHistory, historyParams(m.entry));
          return { result: m.result };
        });
        if (done) return done.result;
      }
      throw new Error(`shadow ${deviceId}/${name}: could not create the document row`);
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      const r = await pool.query<DocumentRow>(
        `SELECT d.* FROM shadows_documents d
          JOIN unnest($1::text[], $2::text[]) AS k(device_id, name) USING (device_id, name)`,
        [keys.map((k) => k.deviceId), keys.map((k) => k.name)],
      );
      const byKey = new Map(r.rows.map((row) => [keyOf(row.device_id, row.name), rowToDocument(row)]));
      return keys.map((k) => byKey.get(keyOf(k.deviceId, k.name)));
    },
    async mutateMany<T>(
      keys: readonly ShadowKey[],
      fn: (c: ShadowDocument | undefined, i: number) => Mutation<T>,
    ): Promise<BatchResult<T>[]> {
      assertDistinct(keys);
      const results: BatchResult<T>[] = new Array<BatchResult<T>>(keys.length);
      let pending = keys.map((_, i) => i);
      // As in `mutate`: a row another node created meanwhile lost our INSERT; those items run again.
      for (let attempt = 0; attempt < 3 && pending.length > 0; attempt++) {
        const batch = pending;
        pending = await pgTransaction(pool, async (client) => {
          // Rows locked in key order, so two overlapping batches queue instead of deadlocking.
          const r = await client.query<DocumentRow>(
            `SELECT d.* FROM shadows_documents d
              JOIN unnest($1::text[], $2::text[]) AS k(device_id, name) USING (device_id, name)
              ORDER BY d.device_id, d.name FOR UPDATE OF d`,
            [batch.map((i) => keys[i]!.deviceId), batch.map((i) => keys[i]!.name)],
          );
          const current = new Map(r.rows.map((row) => [keyOf(row.device_id, row.name), rowToDocument(row)]));
          const updates: { i: number; m: Mutation<T> }[] = [];
          const inserts: { i: number; m: Mutation<T> }[] = [];
          for (const i of batch) {
            const k = keys[i]!;
            const cur = current.get(keyOf(k.deviceId, k.name));
            try {
              (cur ? updates : inserts).push({ i, m: fn(cur, i) });
            } catch (error) {
              results[i] = { ok: false, error };
            }
          }
          const lost = new Set<number>();
          if (inserts.length > 0) {
            const w = await client.query<{ device_id: string; name: string }>(
              `INSERT INTO shadows_documents (device_id, name, version, state, metadata, updated_at, deleted)
                SELECT * FROM ${DOC_UNNEST} ON CONFLICT (device_id, name) DO NOTHING RETURNING device_id, name`,
              docArrays(inserts.map((x) => x.m.doc)),
            );
            const made = new Set(w.rows.map((x) => keyOf(x.device_id, x.name)));
            for (const x of inserts) if (!made.has(keyOf(x.m.doc.deviceId, x.m.doc.name))) lost.add(x.i);
          }
          if (updates.length > 0)
            await client.query(
              `UPDATE shadows_documents d SET version = v.version, state = v.state, metadata = v.metadata,
                updated_at = v.updated_at, deleted = v.deleted
                FROM ${DOC_UNNEST} AS v(device_id, name, version, state, metadata, updated_at, deleted)
                WHERE d.device_id = v.device_id AND d.name = v.name`,
              docArrays(updates.map((x) => x.m.doc)),
            );
          const written = [...updates, ...inserts.filter((x) => !lost.has(x.i))].sort((a, b) => a.i - b.i);
          if (written.length > 0)
            await client.query(
              `INSERT INTO shadows_history (device_id, name, version, op, at, actor_kind, actor_id, request, state)
                SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::text[],
                  $7::text[], $8::text[], $9::text[])`,
              historyArrays(written.map((x) => x.m.entry)),
            );
          for (const x of written) results[x.i] = { ok: true, value: x.m.result };
          return [...lost];
        });
      }
      for (const i of pending)
        results[i] = { ok: false, error: new Error(`shadow ${keys[i]!.deviceId}: could not create the row`) };
      return results;
    },
    async get(deviceId, name) {
      const r = await pool.query<DocumentRow>(
        'SELECT * FROM shadows_documents WHERE device_id = $1 AND name = $2',
        [deviceId, name],
      );
      const row = r.rows[0];
      return row ? rowToDocument(row) : undefined;
    },
    save(doc, expected, e) {
      // A version that moved on wrote nothing: the transaction commits empty and save answers false.
      return pgTransaction(pool, async (client) => {
        const r = expected
          ? await client.query(
              `UPDATE shadows_documents SET version = $1, state = $2, metadata = $3, updated_at = $4, deleted = $5
               WHERE device_id = $6 AND name = $7 AND version = $8 AND deleted = $9`,
              [
                doc.version,
                JSON.stringify(doc.state),
                JSON.stringify(doc.metadata),
                doc.updatedAt,
                doc.deleted,
                doc.deviceId,
                doc.name,
                expected.version,
                expected.deleted,
              ],
            )
          : await client.query(insertDoc, documentParams(doc));
        if (r.rowCount === 0) return false;
        await client.query(insertHistory, historyParams(e));
        return true;
      });
    },
    async listNames(deviceId) {
      const r = await pool.query<{ name: string }>(
        'SELECT name FROM shadows_documents WHERE device_id = $1 AND NOT deleted ORDER BY name',
        [deviceId],
      );
      return r.rows.map((x) => x.name);
    },
    async history(deviceId, name, q) {
      const w = where(deviceId, name, q);
      const count = await pool.query<{ n: string }>(
        `SELECT COUNT(*) AS n FROM shadows_history WHERE ${w.sql}`,
        w.args,
      );
      const n = w.args.length;
      const rows = await pool.query<HistoryRow>(
        `SELECT * FROM shadows_history WHERE ${w.sql} ORDER BY seq LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...w.args, q.limit, q.offset],
      );
      return { items: rows.rows.map(rowToHistory), total: Number(count.rows[0]?.n ?? 0) };
    },
    async historyAt(deviceId, name, version) {
      const r = await pool.query<HistoryRow>(
        `SELECT * FROM shadows_history WHERE device_id = $1 AND name = $2 AND version = $3 AND op = 'update'`,
        [deviceId, name, version],
      );
      const row = r.rows[0];
      return row ? rowToHistory(row) : undefined;
    },
  };
}
