/**
 * What notify persists: channels, routes, and the outbox (notifications and their items). An item
 * is written before anything is sent; (channel, event id) is unique, which is the dedup rule.
 * Two adapters (SQLite, PostgreSQL) pass one contract suite (`notify-store.contract.test.ts`).
 */
import type { Migration } from '../store/index.js';
import type { Channel, Notification, NotificationStatus, NotifyItem, NotifyKind, Route } from './types.js';

export interface NotificationQuery {
  status?: NotificationStatus;
  channelId?: string;
  /** Only notifications created before this time (paging, newest first). */
  before?: number;
  limit: number;
}

export interface NotifyStore {
  listChannels(): Promise<Channel[]>;
  getChannel(id: string): Promise<Channel | undefined>;
  putChannel(c: Channel): Promise<void>;
  deleteChannel(id: string): Promise<boolean>;
  listRoutes(): Promise<Route[]>;
  getRoute(id: string): Promise<Route | undefined>;
  putRoute(r: Route): Promise<void>;
  deleteRoute(id: string): Promise<boolean>;
  /** Insert a notification with its first item; false (and nothing written) when the item is a duplicate. */
  createNotification(n: Notification, first: NotifyItem): Promise<boolean>;
  /** Append an item and bump the count; false when the (channel, event id) is already stored. */
  addItem(notificationId: string, channelId: string, item: NotifyItem): Promise<boolean>;
  /** Write the mutable delivery fields (status, attempts, next attempt, errors, delivered at). */
  updateNotification(n: Notification): Promise<void>;
  getNotification(id: string): Promise<Notification | undefined>;
  /** Items in arrival order. */
  items(notificationId: string, limit?: number): Promise<NotifyItem[]>;
  listNotifications(q: NotificationQuery): Promise<Notification[]>;
  /** Every notification still `grouping` or `pending` (reloaded at start). */
  loadUnfinished(): Promise<Notification[]>;
  /**
   * Queue one item, serialized per group key across every node sharing the store (the storm
   * window lives here, not in one node's memory): with `windowMs > 0` and a window open at `now`,
   * the item joins the window's `grouping` notification, or starts it (`make('grouping', end, end)`);
   * otherwise it opens a window with a notification due now (`make('pending', now, now + windowMs)`).
   * An item already stored for the channel (same event id) writes nothing.
   */
  queueItem(q: QueueRequest): Promise<QueueOutcome>;
  /**
   * Take the right to attempt one notification: a compare-and-set that succeeds when nobody holds
   * it or the holder's claim ended (`claimed_until <= now`). A `grouping` notification becomes
   * `pending` (its window is closed) in the same write, so no item can join it after this.
   */
  claim(id: string, claimant: string, now: number, until: number): Promise<ClaimResult>;
  /** Write the delivery fields and drop the claim, only if `claimant` still holds it. */
  settle(n: Notification, claimant: string): Promise<boolean>;
}

export interface QueueRequest {
  channelId: string;
  groupKey: string;
  /** 0: no grouping. */
  windowMs: number;
  now: number;
  item: NotifyItem;
  make(status: 'pending' | 'grouping', nextAttemptAt: number, windowEndsAt: number): Notification;
}

export type QueueOutcome = { created: Notification } | { addedTo: string } | { duplicate: true };

export type ClaimResult = { claimed: Notification } | { busyUntil: number } | { gone: true };

const ddl = (bigint: string): string => `
CREATE TABLE notify_channels (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at ${bigint} NOT NULL);
CREATE TABLE notify_routes (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at ${bigint} NOT NULL);
CREATE TABLE notify_notifications (
  id TEXT PRIMARY KEY,
  channel_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  reason TEXT NOT NULL,
  group_key TEXT NOT NULL,
  status TEXT NOT NULL,
  item_count INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at ${bigint} NOT NULL,
  window_ends_at ${bigint} NOT NULL,
  last_error TEXT,
  last_status_code INTEGER,
  created_at ${bigint} NOT NULL,
  delivered_at ${bigint}
);
CREATE INDEX notify_notifications_status ON notify_notifications (status);
CREATE INDEX notify_notifications_created ON notify_notifications (created_at);
CREATE TABLE notify_items (
  channel_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  notification_id TEXT NOT NULL,
  seq ${bigint} NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (channel_id, event_id)
);
CREATE INDEX notify_items_notification ON notify_items (notification_id, seq);
`;

/** Who is attempting a notification, until when (ownership: docs/cluster.md); the storm-window lookup. */
const claims = (bigint: string): string => `
ALTER TABLE notify_notifications ADD COLUMN claimed_by TEXT;
ALTER TABLE notify_notifications ADD COLUMN claimed_until ${bigint};
CREATE INDEX notify_notifications_group ON notify_notifications (group_key, window_ends_at);
`;

export const NOTIFY_MIGRATIONS: readonly Migration[] = [
  { id: 1, name: 'channels, routes, outbox', sqlite: ddl('INTEGER'), postgres: ddl('BIGINT') },
  { id: 2, name: 'outbox claims', sqlite: claims('INTEGER'), postgres: claims('BIGINT') },
];

/** The open window of a group: its `grouping` notification first, else the one that opened it. */
export const FIND_WINDOW = `SELECT id, status, window_ends_at FROM notify_notifications
  WHERE group_key = ? AND window_ends_at > ?
  ORDER BY CASE status WHEN 'grouping' THEN 0 ELSE 1 END, created_at DESC LIMIT 1`;

export const CLAIM = `UPDATE notify_notifications SET claimed_by = ?, claimed_until = ?, status = 'pending'
  WHERE id = ? AND status IN ('grouping', 'pending')
    AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until <= ?)
  RETURNING *`;

export const SETTLE = `UPDATE notify_notifications SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?,
  last_status_code = ?, delivered_at = ?, claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?`;

/** `?` placeholders as PostgreSQL's `$n`. */
export function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

export interface NotificationRow {
  id: string;
  channel_id: string;
  kind: string;
  reason: string;
  group_key: string;
  status: string;
  item_count: number | string;
  attempts: number | string;
  next_attempt_at: number | string;
  window_ends_at: number | string;
  last_error: string | null;
  last_status_code: number | string | null;
  created_at: number | string;
  delivered_at: number | string | null;
  claimed_by?: string | null;
  claimed_until?: number | string | null;
}

export function toNotification(r: NotificationRow): Notification {
  return {
    id: r.id,
    channelId: r.channel_id,
    kind: r.kind as NotifyKind,
    reason: r.reason,
    groupKey: r.group_key,
    status: r.status as NotificationStatus,
    itemCount: Number(r.item_count),
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    windowEndsAt: Number(r.window_ends_at),
    lastError: r.last_error,
    lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
    createdAt: Number(r.created_at),
    deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
  };
}

/** Column values in the order of NOTIFICATION_COLUMNS. */
export const NOTIFICATION_COLUMNS =
  'id, channel_id, kind, reason, group_key, status, item_count, attempts, next_attempt_at, window_ends_at, last_error, last_status_code, created_at, delivered_at';

export function notificationValues(n: Notification): unknown[] {
  return [
    n.id,
    n.channelId,
    n.kind,
    n.reason,
    n.groupKey,
    n.status,
    n.itemCount,
    n.attempts,
    n.nextAttemptAt,
    n.windowEndsAt,
    n.lastError,
    n.lastStatusCode,
    n.createdAt,
    n.deliveredAt,
  ];
}
