/**
 * The persisted outbox. Every notification is written (with its items) before any attempt to send
 * it; attempts are retried with exponential backoff and jitter until the endpoint answers 2xx or
 * `maxAttempts` is reached; unfinished rows are reloaded at start, so nothing queued is lost across a
 * restart. Delivery is at-least-once: a crash after the endpoint accepted but before the row says
 * `delivered` sends it again with the same `X-Tsunagu-Event-Id`, which receivers use to deduplicate.
 *
 * Storms: the first item for (channel, kind, reason) is sent at once (a single alert must not wait
 * a minute) and opens a window of `channel.groupWindowMs`; the items that follow inside the window
 * form one group, sent as one message when the window closes.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { slackMessage, webhookBody } from './format.js';
import type { NotifyStore } from './notify-store.js';
import { EVENT_ID_HEADER, sign, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signing.js';
import type { Channel, Notification, NotifyItem } from './types.js';

export interface OutboxOptions {
  clock: Clock;
  store: NotifyStore;
  log: Logger;
  backoff?: BackoffPolicy;
  random?: () => number;
  maxConcurrent?: number;
  /** Called after every attempt (metrics). */
  onAttempt?: (result: 'delivered' | 'retry' | 'failed', channelType: Channel['type']) => void;
}

/** Items sent in one message body; the full list stays at `/api/v1/notifications/{id}`. */
const BODY_ITEMS = 1000;
const DISABLED_RECHECK_MS = 60_000;

export class Outbox {
  private readonly due = new Map<string, number>();
  /** Open windows by group key; `groupId` once a second item started the follow-up group. */
  private readonly open = new Map<string, { endsAt: number; groupId?: string }>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private chain: Promise<void> = Promise.resolve();
  private cancelTimer: (() => void) | undefined;
  private armedAt = Infinity;
  private stopped = false;
  private readonly backoff: BackoffPolicy;

  constructor(private readonly o: OutboxOptions) {
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
  }

  async start(): Promise<void> {
    for (const n of await this.o.store.loadUnfinished()) {
      if (n.status === 'grouping') {
        this.open.set(n.groupKey, { groupId: n.id, endsAt: n.windowEndsAt });
        this.due.set(n.id, n.windowEndsAt);
      } else this.due.set(n.id, n.nextAttemptAt);
    }
    this.dispatch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.idle();
  }

  /** Durably queue one item for one channel (serialized, so a storm fills one group). */
  enqueue(channel: Channel, item: NotifyItem): Promise<void> {
    const run = this.chain.then(() => this.enqueueNow(channel, item));
    this.chain = run.catch((err: unknown) =>
      this.o.log.error({ err, channel: channel.id }, 'notify: enqueue failed'),
    );
    return run;
  }

  /** Resolves when nothing is being queued or sent (tests and shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const chain = this.chain;
      await chain;
      if (this.inFlight.size === 0 && chain === this.chain) return;
      await Promise.all(this.inFlight.values());
    }
  }

  /** Notifications waiting (grouping or pending). */
  get queued(): number {
    return this.due.size;
  }

  /** Put a failed notification back in the queue (a person asked for it). */
  async retry(n: Notification): Promise<Notification> {
    const next: Notification = { ...n, status: 'pending', attempts: 0, nextAttemptAt: this.o.clock.now() };
    await this.o.store.updateNotification(next);
    this.due.set(n.id, next.nextAttemptAt);
    this.dispatch();
    return next;
  }

  private async enqueueNow(channel: Channel, item: NotifyItem): Promise<void> {
    const now = this.o.clock.now();
    const groupKey = `${channel.id}|${item.kind}|${item.reason}`;
    const w = this.open.get(groupKey);
    if (channel.groupWindowMs > 0 && w && now < w.endsAt) {
      if (w.groupId !== undefined) {
        await this.o.store.addItem(w.groupId, channel.id, item);
        return;
      }
      // The second item in the window starts the group that goes out when the window closes.
      const g = this.notification(channel, item, groupKey, 'grouping', w.endsAt, w.endsAt, now);
      if (!(await this.o.store.createNotification(g, item))) return; // duplicate event for this channel
      w.groupId = g.id;
      this.due.set(g.id, w.endsAt);
      this.dispatch();
      return;
    }
    // The first item: sent at once; it opens the window that groups what follows.
    const endsAt = now + channel.groupWindowMs;
    const n = this.notification(channel, item, groupKey, 'pending', now, endsAt, now);
    if (!(await this.o.store.createNotification(n, item))) return; // duplicate event for this channel
    if (channel.groupWindowMs > 0) {
      if (this.open.size > 10_000) for (const [k, o] of this.open) if (o.endsAt <= now) this.open.delete(k);
      this.open.set(groupKey, { endsAt });
    }
    this.due.set(n.id, now);
    this.dispatch();
  }

  private notification(
    channel: Channel,
    item: NotifyItem,
    groupKey: string,
    status: 'grouping' | 'pending',
    nextAttemptAt: number,
    windowEndsAt: number,
    now: number,
  ): Notification {
    return {
      id: randomUUID(),
      channelId: channel.id,
      kind: item.kind,
      reason: item.reason,
      groupKey,
      status,
      itemCount: 1,
      attempts: 0,
      nextAttemptAt,
      windowEndsAt,
      lastError: null,
      lastStatusCode: null,
      createdAt: now,
      deliveredAt: null,
    };
  }

  private dispatch(): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    const max = this.o.maxConcurrent ?? 8;
    for (const [id, at] of this.due) {
      if (this.inFlight.size >= max) break;
      if (at > now || this.inFlight.has(id)) continue;
      const p = this.attempt(id)
        .catch((err: unknown) => {
          this.o.log.error({ err, notification: id }, 'notify: attempt failed unexpectedly');
          this.due.set(id, this.o.clock.now() + DISABLED_RECHECK_MS);
        })
        .finally(() => {
          this.inFlight.delete(id);
          this.dispatch();
        });
      this.inFlight.set(id, p);
    }
    this.armTimer();
  }

  private armTimer(): void {
    let next = Infinity;
    for (const [id, at] of this.due) if (!this.inFlight.has(id) && at < next) next = at;
    if (next === this.armedAt || this.stopped) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.armedAt = next;
    if (next === Infinity) return;
    this.cancelTimer = this.o.clock.setTimer(Math.max(0, next - this.o.clock.now()), () => {
      this.armedAt = Infinity;
      this.cancelTimer = undefined;
      this.dispatch();
    });
  }

  private async attempt(id: string): Promise<void> {
    const store = this.o.store;
    const n = await store.getNotification(id);
    if (!n || n.status === 'delivered' || n.status === 'failed') {
      this.due.delete(id);
      return;
    }
    if (n.status === 'grouping') {
      n.status = 'pending';
      if (this.open.get(n.groupKey)?.groupId === id) this.open.delete(n.groupKey);
      await store.updateNotification(n);
    }
    const channel = await store.getChannel(n.channelId);
    if (!channel) return this.finish(n, 'failed', 'channel deleted', null);
    if (!channel.enabled) {
      n.lastError = 'channel disabled';
      n.nextAttemptAt = this.o.clock.now() + DISABLED_RECHECK_MS;
      await store.updateNotification(n);
      this.due.set(id, n.nextAttemptAt);
      return;
    }
    const items = await store.items(id, BODY_ITEMS);
    const result = await this.send(channel, n, items);
    n.attempts++;
    n.lastStatusCode = result.status;
    const outcome = result.ok ? 'delivered' : n.attempts >= this.backoff.maxAttempts ? 'failed' : 'retry';
    this.o.onAttempt?.(outcome, channel.type);
    if (outcome !== 'retry') return this.finish(n, outcome, result.error, result.status);
    n.lastError = result.error;
    n.nextAttemptAt = this.o.clock.now() + backoffDelay(n.attempts, this.backoff, this.o.random);
    await store.updateNotification(n);
    this.due.set(id, n.nextAttemptAt);
  }

  private async finish(
    n: Notification,
    status: 'delivered' | 'failed',
    error: string | null,
    code: number | null,
  ): Promise<void> {
    n.status = status;
    n.lastError = error;
    n.lastStatusCode = code;
    if (status === 'delivered') n.deliveredAt = this.o.clock.now();
    await this.o.store.updateNotification(n);
    this.due.delete(n.id);
  }

  private async send(
    channel: Channel,
    n: Notification,
    items: NotifyItem[],
  ): Promise<{ ok: boolean; status: number | null; error: string | null }> {
    const body = JSON.stringify(
      channel.type === 'slack' ? slackMessage(channel, n, items) : webhookBody(channel, n, items),
    );
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'tsunagu-notify',
      [EVENT_ID_HEADER]: n.id,
      [TIMESTAMP_HEADER]: String(this.o.clock.now()),
    };
    if (channel.type === 'webhook' && channel.secret) headers[SIGNATURE_HEADER] = sign(channel.secret, body);
    try {
      const res = await fetch(channel.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(channel.timeoutMs),
      });
      const text = await res.text().catch(() => '');
      if (res.ok) return { ok: true, status: res.status, error: null };
      return {
        ok: false,
        status: res.status,
        error: `HTTP ${res.status}${text ? ': ' + text.slice(0, 200) : ''}`,
      };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const what =
        e.name === 'TimeoutError'
          ? `timed out after ${channel.timeoutMs} ms`
          : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
      return { ok: false, status: null, error: what };
    }
  }
}
