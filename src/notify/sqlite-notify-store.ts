/** NotifyStore on the embedded SQLite database. */
import { migrate, sqliteTransaction, type SqliteDatabase } from '../store/index.js';
import {
  CLAIM,
  FIND_WINDOW,
  NOTIFICATION_COLUMNS,
  SETTLE,
  NOTIFY_MIGRATIONS,
  notificationValues,
  toNotification,
  type NotificationRow,
  type NotifyStore,
  type QueueOutcome,
} from './notify-store.js';
import type { Channel, Notification, NotifyItem, Route } from './types.js';

export async function createSqliteNotifyStore(database: SqliteDatabase): Promise<NotifyStore> {
  await migrate(database, 'notify', NOTIFY_MIGRATIONS);
  const db = database.db;
  const insertItem = db.prepare(
    'INSERT INTO notify_items (channel_id, event_id, notification_id, seq, body) VALUES (?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM notify_items WHERE notification_id = ?), ?) ON CONFLICT DO NOTHING',
  );
  const insertNotification = db.prepare(
    `INSERT INTO notify_notifications (${NOTIFICATION_COLUMNS}) VALUES (${NOTIFICATION_COLUMNS.split(',')
      .map(() => '?')
      .join(', ')})`,
  );
  const bump = db.prepare('UPDATE notify_notifications SET item_count = item_count + 1 WHERE id = ?');
  const findWindow = db.prepare(FIND_WINDOW);
  const claim = db.prepare(CLAIM);
  const claimState = db.prepare('SELECT status, claimed_until FROM notify_notifications WHERE id = ?');
  const settle = db.prepare(SETTLE);
  const addItem = (notificationId: string, channelId: string, item: NotifyItem): boolean =>
    insertItem.run(channelId, item.eventId, notificationId, notificationId, JSON.stringify(item)).changes > 0;
  const kv = <T>(table: string) => ({
    list: () =>
      (db.prepare(`SELECT body FROM ${table} ORDER BY created_at, id`).all() as { body: string }[]).map(
        (r) => JSON.parse(r.body) as T,
      ),
    get: (id: string) => {
      const r = db.prepare(`SELECT body FROM ${table} WHERE id = ?`).get(id) as { body: string } | undefined;
      return r === undefined ? undefined : (JSON.parse(r.body) as T);
    },
    put: (id: string, body: T, createdAt: number) =>
      db
        .prepare(
          `INSERT INTO ${table} (id, body, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body`,
        )
        .run(id, JSON.stringify(body), createdAt),
    del: (id: string) => db.prepare(`DELETE FROM ${table} WHERE id = ?`).run(id).changes > 0,
  });
  const channels = kv<Channel>('notify_channels');
  const routes = kv<Route>('notify_routes');
  return {
    listChannels: async () => channels.list(),
    getChannel: async (id) => channels.get(id),
    putChannel: async (c) => void channels.put(c.id, c, c.createdAt),
    deleteChannel: async (id) => channels.del(id),
    listRoutes: async () => routes.list(),
    getRoute: async (id) => routes.get(id),
    putRoute: async (r) => void routes.put(r.id, r, r.createdAt),
    deleteRoute: async (id) => routes.del(id),
    async createNotification(n, first) {
      return sqliteTransaction(db, () => {
        if (!addItem(n.id, n.channelId, first)) return false;
        insertNotification.run(...notificationValues({ ...n, itemCount: 1 }));
        return true;
      })();
    },
    async addItem(notificationId, channelId, item) {
      return sqliteTransaction(db, () => {
        if (!addItem(notificationId, channelId, item)) return false;
        bump.run(notificationId);
        return true;
      })();
    },
    async updateNotification(n) {
      db.prepare(
        'UPDATE notify_notifications SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, last_status_code = ?, delivered_at = ? WHERE id = ?',
      ).run(n.status, n.attempts, n.nextAttemptAt, n.lastError, n.lastStatusCode, n.deliveredAt, n.id);
    },
    async getNotification(id) {
      const r = db.prepare('SELECT * FROM notify_notifications WHERE id = ?').get(id) as
        NotificationRow | undefined;
      return r === undefined ? undefined : toNotification(r);
    },
    async items(notificationId, limit = 100_000) {
      const rows = db
        .prepare('SELECT body FROM notify_items WHERE notification_id = ? ORDER BY seq LIMIT ?')
        .all(notificationId, limit) as { body: string }[];
      return rows.map((r) => JSON.parse(r.body) as NotifyItem);
    },
    async listNotifications(q) {
      const where: string[] = [];
      const args: unknown[] = [];
      const add = (sql: string, v: unknown): void => {
        where.push(sql);
        args.push(v);
      };
      if (q.status !== undefined) add('status = ?', q.status);
      if (q.channelId !== undefined) add('channel_id = ?', q.channelId);
      if (q.before !== undefined) add('created_at < ?', q.before);
      const sql = `SELECT * FROM notify_notifications ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
      return (db.prepare(sql).all(...args, q.limit) as NotificationRow[]).map(toNotification);
    },
    async queueItem(q) {
      return sqliteTransaction(db, (): QueueOutcome => {
        let make = (): Notification => q.make('pending', q.now, q.now + q.windowMs);
        if (q.windowMs > 0) {
          const w = findWindow.get(q.groupKey, q.now) as
            { id: string; status: string; window_ends_at: number } | undefined;
          if (w?.status === 'grouping') {
            if (!addItem(w.id, q.channelId, q.item)) return { duplicate: true };
            bump.run(w.id);
            return { addedTo: w.id };
          }
          if (w) make = () => q.make('grouping', Number(w.window_ends_at), Number(w.window_ends_at));
        }
        const n = make();
        if (!addItem(n.id, n.channelId, q.item)) return { duplicate: true };
        insertNotification.run(...notificationValues({ ...n, itemCount: 1 }));
        return { created: n };
      })();
    },
    async claim(id, claimant, now, until) {
      const r = claim.get(claimant, until, id, claimant, now) as NotificationRow | undefined;
      if (r) return { claimed: toNotification(r) };
      const cur = claimState.get(id) as { status: string; claimed_until: number | null } | undefined;
      if (!cur || (cur.status !== 'pending' && cur.status !== 'grouping')) return { gone: true };
      return { busyUntil: Number(cur.claimed_until ?? now) };
    },
    async settle(n, claimant) {
      return (
        settle.run(
          n.status,
          n.attempts,
          n.nextAttemptAt,
          n.lastError,
          n.lastStatusCode,
          n.deliveredAt,
          n.id,
          claimant,
        ).changes > 0
      );
    },
    async loadUnfinished() {
      const rows = db
        .prepare(
          "SELECT * FROM notify_notifications WHERE status IN ('grouping', 'pending') ORDER BY created_at",
        )
        .all() as NotificationRow[];
      return rows.map(toNotification);
    },
  };
}
