/** Channels, routes, notifications and the items they carry. */
import type { Severity } from '../core/index.js';

/** Bus events notify subscribes to itself. */
export const EVENT_KINDS = [
  'service-state.changed',
  'health.alert',
  'device.flapping',
  'device.event',
  'slo.alert',
  'slo.budget-exhausted',
  'schedule.execution',
  'job.rollout-stopped',
  'job.finished',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];
/** Every kind a route can select: the bus events, and `rule` (a rules engine `notify` action). */
export const NOTIFY_KINDS = [...EVENT_KINDS, 'rule'] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

export interface Channel {
  id: string;
  name: string;
  type: 'slack' | 'webhook';
  /** Slack incoming-webhook URL or the webhook endpoint. Slack URLs are secrets: shown masked. */
  url: string;
  /** HMAC-SHA256 signing key for `webhook` channels. Write-only through the API. */
  secret?: string;
  /** Events of the same kind and reason within this window become one message (0 = send each at once). */
  groupWindowMs: number;
  /** Per-attempt HTTP timeout. */
  timeoutMs: number;
  /** Base URL of the console for links (`{consoleUrl}/devices/{id}`). */
  consoleUrl?: string;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface Route {
  id: string;
  name: string;
  channelIds: string[];
  /** Empty: every kind. */
  kinds: NotifyKind[];
  /** Events below this severity are not sent. */
  minSeverity: Severity;
  /** Empty: every model. Events without a device match only when this is empty. */
  models: string[];
  /** Empty: every device; otherwise the device needs one of these tags. */
  tags: string[];
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** One event as a notification carries it. */
export interface NotifyItem {
  /** Deterministic id derived from the event (dedup key per channel). */
  eventId: string;
  kind: NotifyKind;
  severity: Severity;
  /** Groups a storm: same kind + same reason → one message. */
  reason: string;
  title: string;
  at: number;
  deviceId?: string;
  model?: string;
  /** When the condition began (e.g. out of service since). */
  since?: number;
  data: Record<string, unknown>;
}

/**
 * Delivery lifecycle:
 * - `grouping`  — the storm window is open; more items may join.
 * - `pending`   — durable and due for (another) attempt at `nextAttemptAt`.
 * - `delivered` — the endpoint answered 2xx.
 * - `failed`    — gave up after `maxAttempts` (or the channel was deleted); can be retried by hand.
 */
export type NotificationStatus = 'grouping' | 'pending' | 'delivered' | 'failed';

export interface Notification {
  id: string;
  channelId: string;
  kind: NotifyKind;
  reason: string;
  groupKey: string;
  status: NotificationStatus;
  itemCount: number;
  attempts: number;
  nextAttemptAt: number;
  windowEndsAt: number;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: number;
  deliveredAt: number | null;
}
