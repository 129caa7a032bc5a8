/**
 * The persisted outbox. Every notification is written (with its items) before any attempt to send
 * it; attempts are retried with exponential backoff and jitter until the endpoint answers 2xx or
 * `maxAttempts` is reached; unfinished rows are reloaded at start, so nothing queued is lost across a
 * restart. Delivery is at-least-once: a crash after the endpoint accepted but before the row says
 * `delivered` sends it again with the same `X-Tsunagu-Event-Id`, which receivers use to deduplicate.
 *
 * Storms: the first item for (channel, kind, reason) is sent at once (a single alert must not wait
 * a minute) and opens a window of `channel.groupWindowMs`; the items that follow inside the window
 * form one group, sent as one message when the window closes. The window lives in the store
 * (`queueItem`, serialized per group key), so items queued on any node join the same group.
 *
 * Several nodes (docs/cluster.md, ownership): shard key = the notification's channel id. Any node
 * queues; only the owner of the channel's shard attempts (and closes windows). Each attempt starts
 * with a claim (a compare-and-set in the store, held `claimMs`) and ends with a write that applies
 * only while the claim is held, so two nodes never send one notification; a dead node's claims run
 * out and the next owner sends them, with the same event id. The owner finds work queued elsewhere
 * by reloading the store when it gains shards and every `sweepMs`.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, Logger, Ownership } from '../core/index.js';
import { DEFAULT_SWEEP_MS, PersistedQueue } from '../store/index.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { slackMessage, webhookBody } from './format.js';
import type { NotifyStore } from './notify-store.js';
import { EVENT_ID_HEADER, sign, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signing.js';
import type { Channel, Notification, NotifyItem } from './types.js';

export interface OutboxOptions {
  clock: Clock;
  store: NotifyStore;
  log: Logger;
  /** Which node attempts which channel's notifications (default: this node, all of them). */
  ownership?: Ownership;
  backoff?: BackoffPolicy;
  random?: () => number;
  maxConcurrent?: number;
  /** How long a claim keeps other nodes off a notification being attempted (> any channel timeout). */
  claimMs?: number;
  /** How often the store is reloaded for work queued by other nodes. */
  sweepMs?: number;
  /** Called after every attempt (metrics). */
  onAttempt?: (result: 'delivered' | 'retry' | 'failed', channelType: Channel['type']) => void;
}

/** Items sent in one message body; the full list stays at `/api/v1/notifications/{id}`. */
const BODY_ITEMS = 1000;
const DISABLED_RECHECK_MS = 60_000;
/** Channel timeouts are at most 120 s (routes.ts): a claim outlives any attempt. */
export const DEFAULT_CLAIM_MS = 180_000;
export { DEFAULT_SWEEP_MS };

export class Outbox {
  /** Which owned notifications wait, and the attempts in flight (shard key: the channel id). */
  private readonly queue: PersistedQueue;
  private chain: Promise<void> = Promise.resolve();
  private readonly backoff: BackoffPolicy;

  constructor(private readonly o: OutboxOptions) {
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.queue = new PersistedQueue({
      name: 'notify: outbox',
      clock: o.clock,
      log: o.log,
      ownership: o.ownership,
      maxConcurrent: o.maxConcurrent ?? 8,
      sweepMs: o.sweepMs,
      retryAfterErrorMs: DISABLED_RECHECK_MS,
      load: async () =>
        (await o.store.loadUnfinished()).map((n) => ({
          id: n.id,
          key: n.channelId,
          at: n.status === 'grouping' ? n.windowEndsAt : n.nextAttemptAt,
        })),
      attempt: (id, channelId) => this.attempt(id, channelId),
    });
  }

  start(): Promise<void> {
    return this.queue.start();
  }

  async stop(): Promise<void> {
    await this.queue.stop();
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
      await this.queue.settled();
      if (chain === this.chain) return;
    }
  }

  /** Notifications waiting (grouping or pending) or in flight that this node attempts. */
  get queued(): number {
    return this.queue.held;
  }

  /** Put a failed notification back in the queue (a person asked for it). */
  async retry(n: Notification): Promise<Notification> {
    const next: Notification = { ...n, status: 'pending', attempts: 0, nextAttemptAt: this.o.clock.now() };
    await this.o.store.updateNotification(next);
    this.schedule(n.id, n.channelId, next.nextAttemptAt);
    return next;
  }

  /** Hold a notification due at `at` if this node owns its channel (the owner's sweep finds it otherwise). */
  private schedule(id: string, channelId: string, at: number): void {
    this.queue.schedule(id, at, channelId);
  }

  private async enqueueNow(channel: Channel, item: NotifyItem): Promise<void> {
    const now = this.o.clock.now();
    const groupKey = `${channel.id}|${item.kind}|${item.reason}`;
    const out = await this.o.store.queueItem({
      channelId: channel.id,
      groupKey,
      windowMs: channel.groupWindowMs,
      now,
      item,
      make: (status, nextAttemptAt, windowEndsAt) =>
        this.notification(channel, item, groupKey, status, nextAttemptAt, windowEndsAt, now),
    });
    if (!('created' in out)) return; // joined a group, or a duplicate event for this channel
    const n = out.created;
    this.schedule(n.id, n.channelId, n.nextAttemptAt);
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

  private async attempt(id: string, channelId: string): Promise<void> {
    const store = this.o.store;
    const now = this.o.clock.now();
    const c = await store.claim(id, this.queue.claimant, now, now + (this.o.claimMs ?? DEFAULT_CLAIM_MS));
    if ('gone' in c) return; // delivered, failed or deleted
    if ('busyUntil' in c) {
      // Another node is attempting it (it owned the channel before this node): look when its claim ends.
      this.schedule(id, channelId, Math.max(c.busyUntil, now + 1));
      return;
    }
    const n = c.claimed;
    const channel = await store.getChannel(n.channelId);
    if (!channel) return this.finish(n, 'failed', 'channel deleted', null);
    if (!channel.enabled) {
      n.lastError = 'channel disabled';
      n.nextAttemptAt = this.o.clock.now() + DISABLED_RECHECK_MS;
      if (await this.settle(n)) this.schedule(id, n.channelId, n.nextAttemptAt);
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
    if (await this.settle(n)) this.schedule(id, n.channelId, n.nextAttemptAt);
  }

  /** Write the outcome while the claim is held; false (and the notification dropped here) if not. */
  private async settle(n: Notification): Promise<boolean> {
    if (await this.o.store.settle(n, this.queue.claimant)) return true;
    this.o.log.warn({ notification: n.id }, 'notify: claim ended before the outcome was written');
    this.queue.forget(n.id);
    return false;
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
    await this.settle(n);
    this.queue.forget(n.id);
  }

  /** One POST to the channel, nothing stored (the outbox's attempts and the channel test both use it). */
  async send(
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
