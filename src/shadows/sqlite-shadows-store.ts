/** SQLite adapter of the shadows store (better-sqlite3, synchronous; each save is one transaction). */
import { sqliteTransaction, type SqliteDatabase } from '../store/index.js';
import type { ShadowDocument } from './document.js';
import {
  assertDistinct,
  documentParams,
  historyParams,
  rowToDocument,
  rowToHistory,
  type DocumentRow,
  type Expected,
  type HistoryEntry,
  type HistoryQuery,
  type HistoryRow,
  type BatchResult,
  type Mutation,
  type ShadowKey,
  type ShadowStore,
} from './shadows-store.js';

export function sqliteShadowStore(database: SqliteDatabase): ShadowStore {
  const db = database.db;
  const getStmt = db.prepare('SELECT * FROM shadows_documents WHERE device_id = ? AND name = ?');
  const insertDoc = db.prepare(
    `INSERT INTO shadows_documents (device_id, name, version, state, metadata, updated_at, deleted)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, name) DO NOTHING`,
  );
  const updateDoc = db.prepare(
    `UPDATE shadows_documents SET version = ?, state = ?, metadata = ?, updated_at = ?, deleted = ?
     WHERE device_id = ? AND name = ? AND version = ? AND deleted = ?`,
  );
  const insertHistory = db.prepare(
    `INSERT INTO shadows_history (device_id, name, version, op, at, actor_kind, actor_id, request, state)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const save = sqliteTransaction(
    db,
    (doc: ShadowDocument, expected: Expected | undefined, e: HistoryEntry) => {
      // SQLite has no boolean type: `deleted` is stored as 0/1.
      const [deviceId, name, version, state, metadata, updatedAt, deleted] = documentParams(doc);
      const r = expected
        ? updateDoc.run(
            version,
            state,
            metadata,
            updatedAt,
            deleted ? 1 : 0,
            deviceId,
            name,
            expected.version,
            expected.deleted ? 1 : 0,
          )
        : insertDoc.run(deviceId, name, version, state, metadata, updatedAt, deleted ? 1 : 0);
      if (r.changes === 0) return false;
      insertHistory.run(...historyParams(e));
      return true;
    },
  );

  const mutate = sqliteTransaction(
    db,
    (deviceId: string, name: string, fn: (c: ShadowDocument | undefined) => Mutation<unknown>) => {
      const row = getStmt.get(deviceId, name) as DocumentRow | undefined;
      const current = row ? rowToDocument(row) : undefined;
      const m = fn(current);
      const expected = current ? { version: current.version, deleted: current.deleted } : undefined;
      if (!save(m.doc, expected, m.entry)) throw new Error('shadow row changed inside its own transaction');
      return m.result;
    },
  );

  // One IMMEDIATE transaction for a whole batch: the per-row statements are in-process calls, the
  // cost a batch saves is the commit (a WAL append and sync) per shadow.
  const mutateMany = sqliteTransaction(
    db,
    (keys: readonly ShadowKey[], fn: (c: ShadowDocument | undefined, i: number) => Mutation<unknown>) =>
      keys.map((k, i): BatchResult<unknown> => {
        const row = getStmt.get(k.deviceId, k.name) as DocumentRow | undefined;
        const current = row ? rowToDocument(row) : undefined;
        let m: Mutation<unknown>;
        try {
          m = fn(current, i);
        } catch (error) {
          return { ok: false, error };
        }
        const expected = current ? { version: current.version, deleted: current.deleted } : undefined;
        if (!save(m.doc, expected, m.entry)) throw new Error('shadow row changed inside its own transaction');
        return { ok: true, value: m.result };
      }),
  );

  function where(deviceId: string, name: string, q: Omit<HistoryQuery, 'limit' | 'offset'>) {
    const clauses = ['device_id = ?', 'name = ?'];
    const args: (string | number)[] = [deviceId, name];
    if (q.from !== undefined) {
      clauses.push('at >= ?');
      args.push(q.from);
    }
    if (q.to !== undefined) {
      clauses.push('at < ?');
      args.push(q.to);
    }
    return { sql: clauses.join(' AND '), args };
  }

  return {
    get(deviceId, name) {
      const row = getStmt.get(deviceId, name) as DocumentRow | undefined;
      return Promise.resolve(row ? rowToDocument(row) : undefined);
    },
    async mutate<T>(
      deviceId: string,
      name: string,
      fn: (c: ShadowDocument | undefined) => Mutation<T>,
    ): Promise<T> {
      // IMMEDIATE takes the write lock before the read (another process on the same file waits);
      // `async` turns a throw from `fn` into a rejection, as the interface promises.
      return mutate.immediate(deviceId, name, fn) as T;
    },
    getMany(keys) {
      return Promise.resolve(
        keys.map((k) => {
          const row = getStmt.get(k.deviceId, k.name) as DocumentRow | undefined;
          return row ? rowToDocument(row) : undefined;
        }),
      );
    },
    async mutateMany<T>(
      keys: readonly ShadowKey[],
      fn: (c: ShadowDocument | undefined, i: number) => Mutation<T>,
    ): Promise<BatchResult<T>[]> {
      assertDistinct(keys);
      if (keys.length === 0) return [];
      return mutateMany.immediate(keys, fn) as BatchResult<T>[];
    },
    save(doc, expected, entry) {
      return Promise.resolve(save(doc, expected, entry));
    },
    listNames(deviceId) {
      const rows = db
        .prepare('SELECT name FROM shadows_documents WHERE device_id = ? AND deleted = 0 ORDER BY name')
        .all(deviceId) as { name: string }[];
      return Promise.resolve(rows.map((r) => r.name));
    },
    history(deviceId, name, q) {
      const w = where(deviceId, name, q);
      const total = (
        db.prepare(`SELECT COUNT(*) AS n FROM shadows_history WHERE ${w.sql}`).get(...w.args) as { n: number }
      ).n;
      const rows = db
        .prepare(`SELECT * FROM shadows_history WHERE ${w.sql} ORDER BY seq LIMIT ? OFFSET ?`)
        .all(...w.args, q.limit, q.offset) as HistoryRow[];
      return Promise.resolve({ items: rows.map(rowToHistory), total });
    },
    historyAt(deviceId, name, version) {
      const row = db
        .prepare(
          `SELECT * FROM shadows_history WHERE device_id = ? AND name = ? AND version = ? AND op = 'update'`,
        )
        .get(deviceId, name, version) as HistoryRow | undefined;
      return Promise.resolve(row ? rowToHistory(row) : undefined);
    },
  };
}
