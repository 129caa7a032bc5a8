/** NotifyStore on PostgreSQL. */
import type pg from 'pg';
import { migrate, pgTransaction, type PostgresDatabase } from '../store/index.js';
import {
  CLAIM,
  FIND_WINDOW,
  NOTIFICATION_COLUMNS,
  numbered,
  SETTLE,
  NOTIFY_MIGRATIONS,
  notificationValues,
  toNotification,
  type NotificationRow,
  type NotifyStore,
  type QueueOutcome,
} from './notify-store.js';
import type { Channel, Notification, NotifyItem, Route } from './types.js';

const INSERT_ITEM = `INSERT INTO notify_items (channel_id, event_id, notification_id, seq, body)
  VALUES ($1, $2, $3, (SELECT coalesce(max(seq), 0) + 1 FROM notify_items WHERE notification_id = $3), $4)
  ON CONFLICT DO NOTHING`;

export async function createPgNotifyStore(database: PostgresDatabase): Promise<NotifyStore> {
  await migrate(database, 'notify', NOTIFY_MIGRATIONS);
  const pool = database.pool;
  const tx = <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => pgTransaction(pool, fn);
  const addItem = async (
    c: pg.PoolClient,
    notificationId: string,
    channelId: string,
    item: NotifyItem,
  ): Promise<boolean> =>
    ((await c.query(INSERT_ITEM, [channelId, item.eventId, notificationId, JSON.stringify(item)])).rowCount ??
      0) > 0;
  const kv = <T>(table: string) => ({
    list: async () =>
      (await pool.query<{ body: string }>(`SELECT body FROM ${table} ORDER BY created_at, id`)).rows.map(
        (r) => JSON.parse(r.body) as T,
      ),
    get: async (id: string) => {
      const r = (await pool.query<{ body: string }>(`SELECT body FROM ${table} WHERE id = $1`, [id])).rows[0];
      return r === undefined ? undefined : (JSON.parse(r.body) as T);
    },
    put: async (id: string, body: T, createdAt: number) => {
      await pool.query(
        `INSERT INTO ${table} (id, body, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET body = excluded.body`,
        [id, JSON.stringify(body), createdAt],
      );
    },
    del: async (id: string) =>
      ((await pool.query(`DELETE FROM ${table} WHERE id = $1`, [id])).rowCount ?? 0) > 0,
  });
  const channels = kv<Channel>('notify_channels');
  const routes = kv<Route>('notify_routes');
  const placeholders = NOTIFICATION_COLUMNS.split(',')
    .map((_, i) => `$${i + 1}`)
    .join(', ');
  return {
    listChannels: () => channels.list(),
    getChannel: (id) => channels.get(id),
    putChannel: (c) => channels.put(c.id, c, c.createdAt),
    deleteChannel: (id) => channels.del(id),
    listRoutes: () => routes.list(),
    getRoute: (id) => routes.get(id),
    putRoute: (r) => routes.put(r.id, r, r.createdAt),
    deleteRoute: (id) => routes.del(id),
    createNotification: (n, first) =>
      tx(async (c) => {
        if (!(await addItem(c, n.id, n.channelId, first))) return false;
        await c.query(
          `INSERT INTO notify_notifications (${NOTIFICATION_COLUMNS}) VALUES (${placeholders})`,
          notificationValues({ ...n, itemCount: 1 }),
        );
        return true;
      }),
    addItem: (notificationId, channelId, item) =>
      tx(async (c) => {
        if (!(await addItem(c, notificationId, channelId, item))) return false;
        await c.query('UPDATE notify_notifications SET item_count = item_count + 1 WHERE id = $1', [
          notificationId,
        ]);
        return true;
      }),
    async updateNotification(n) {
      await pool.query(
        'UPDATE notify_notifications SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4, last_status_code = $5, delivered_at = $6 WHERE id = $7',
        [n.status, n.attempts, n.nextAttemptAt, n.lastError, n.lastStatusCode, n.deliveredAt, n.id],
      );
    },
    async getNotification(id) {
      const r = (await pool.query<NotificationRow>('SELECT * FROM notify_notifications WHERE id = $1', [id]))
        .rows[0];
      return r === undefined ? undefined : toNotification(r);
    },
    async items(notificationId, limit = 100_000) {
      const r = await pool.query<{ body: string }>(
        'SELECT body FROM notify_items WHERE notification_id = $1 ORDER BY seq LIMIT $2',
        [notificationId, limit],
      );
      return r.rows.map((row) => JSON.parse(row.body) as NotifyItem);
    },
    async listNotifications(q) {
      const where: string[] = [];
      const args: unknown[] = [];
      const add = (sql: string, v: unknown): void => {
        args.push(v);
        where.push(sql.replace('?', `$${args.length}`));
      };
      if (q.status !== undefined) add('status = ?', q.status);
      if (q.channelId !== undefined) add('channel_id = ?', q.channelId);
      if (q.before !== undefined) add('created_at < ?', q.before);
      args.push(q.limit);
      const sql = `SELECT * FROM notify_notifications ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC, id DESC LIMIT $${args.length}`;
      return (await pool.query<NotificationRow>(sql, args)).rows.map(toNotification);
    },
    queueItem: (q) =>
      tx(async (c): Promise<QueueOutcome> => {
        let make = (): Notification => q.make('pending', q.now, q.now + q.windowMs);
        if (q.windowMs > 0) {
          // One writer per group key at a time, on every node: two nodes never open two windows.
          await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`notify:${q.groupKey}`]);
          const w = (
            await c.query<{ id: string; status: string; window_ends_at: string }>(numbered(FIND_WINDOW), [
              q.groupKey,
              q.now,
            ])
          ).rows[0];
          if (w?.status === 'grouping') {
            // The count first: its row lock makes a concurrent claim (which closes the window) wait.
            const bumped = await c.query(
              "UPDATE notify_notifications SET item_count = item_count + 1 WHERE id = $1 AND status = 'grouping'",
              [w.id],
            );
            if ((bumped.rowCount ?? 0) > 0) {
              if (await addItem(c, w.id, q.channelId, q.item)) return { addedTo: w.id };
              await c.query('UPDATE notify_notifications SET item_count = item_count - 1 WHERE id = $1', [
                w.id,
              ]);
              return { duplicate: true };
            }
            // Claimed (window closed) since the lookup: the item opens a new window.
          } else if (w) make = () => q.make('grouping', Number(w.window_ends_at), Number(w.window_ends_at));
        }
        const n = make();
        if (!(await addItem(c, n.id, n.channelId, q.item))) return { duplicate: true };
        await c.query(
          `INSERT INTO notify_notifications (${NOTIFICATION_COLUMNS}) VALUES (${placeholders})`,
          notificationValues({ ...n, itemCount: 1 }),
        );
        return { created: n };
      }),
    async claim(id, claimant, now, until) {
      const r = (await pool.query<NotificationRow>(numbered(CLAIM), [claimant, until, id, claimant, now]))
        .rows[0];
      if (r) return { claimed: toNotification(r) };
      const cur = (
        await pool.query<{ status: string; claimed_until: string | null }>(
          'SELECT status, claimed_until FROM notify_notifications WHERE id = $1',
          [id],
        )
      ).rows[0];
      if (!cur || (cur.status !== 'pending' && cur.status !== 'grouping')) return { gone: true };
      return { busyUntil: Number(cur.claimed_until ?? now) };
    },
    async settle(n, claimant) {
      const r = await pool.query(numbered(SETTLE), [
        n.status,
        n.attempts,
        n.nextAttemptAt,
        n.lastError,
        n.lastStatusCode,
        n.deliveredAt,
        n.id,
        claimant,
      ]);
      return (r.rowCount ?? 0) > 0;
    },
    async loadUnfinished() {
      const r = await pool.query<NotificationRow>(
        "SELECT * FROM notify_notifications WHERE status IN ('grouping', 'pending') ORDER BY created_at",
      );
      return r.rows.map(toNotification);
    },
  };
}
