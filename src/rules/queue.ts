/**
 * The persisted action queue: at-least-once delivery with exponential backoff, per action
 * `maxAttempts`, and the rule's error action queued (in the same transaction) when an action fails
 * its last attempt. Every delivery is written before anything is sent; unfinished rows are found
 * again by the sweep after a restart, so nothing queued is lost.
 *
 * Several nodes (ownership seam): shard key = the delivery id. Any node queues; only the owner of
 * the delivery's shard attempts it, and each attempt starts with a claim (compare-and-set held
 * `claimMs`) and ends with a write that applies only while the claim is held, so two nodes never
 * run one attempt. A node that gains shards, and every `sweepMs`, reloads due rows from the store.
 */
import type { Clock, Logger, Ownership } from '../core/index.js';
import { DEFAULT_SWEEP_MS, PersistedQueue } from '../store/index.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import type { RulesStore } from './rules-store.js';
import type { Delivery, RuleDef } from './types.js';

export type AttemptResult = 'succeeded' | 'retry' | 'failed';

export interface QueueOptions {
  clock: Clock;
  store: RulesStore;
  log: Logger;
  ownership?: Ownership;
  backoff?: BackoffPolicy;
  random?: () => number;
  maxConcurrent?: number;
  claimMs?: number;
  sweepMs?: number;
  /** The rule as it is now (secrets and the error action come from it). */
  ruleOf(name: string): RuleDef | undefined;
  /** Send one delivery; throws with a readable message on failure. */
  send(d: Delivery, rule: RuleDef): Promise<void>;
  /** Build the error action's delivery for a failed one (undefined: the rule has none). */
  errorDelivery(d: Delivery, rule: RuleDef | undefined, error: string): Delivery | undefined;
  onAttempt?(rule: string, result: AttemptResult): void;
}

export const DEFAULT_CLAIM_MS = 180_000;
export { DEFAULT_SWEEP_MS };
const SWEEP_BATCH = 1000;

/** The rules' side of the queue (claim, send, settle, error action); scheduling is store's PersistedQueue. */
export class DeliveryQueue {
  private readonly queue: PersistedQueue;
  private readonly backoff: BackoffPolicy;

  constructor(private readonly o: QueueOptions) {
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    const sweepMs = o.sweepMs ?? DEFAULT_SWEEP_MS;
    this.queue = new PersistedQueue({
      name: 'rules: queue',
      clock: o.clock,
      log: o.log,
      ...(o.ownership ? { ownership: o.ownership } : {}),
      maxConcurrent: o.maxConcurrent ?? 32,
      sweepMs,
      retryAfterErrorMs: this.backoff.baseMs,
      load: async () =>
        (await o.store.due(o.clock.now() + sweepMs, SWEEP_BATCH)).map((d) => ({
          id: d.id,
          key: d.id,
          at: d.nextAttemptAt,
        })),
      attempt: (id) => this.attempt(id),
    });
  }

  start(): Promise<void> {
    return this.queue.start();
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }

  /** Durably queue deliveries, then attempt the owned ones. Resolves once they are written. */
  async enqueue(ds: Delivery[]): Promise<void> {
    if (ds.length === 0) return;
    await this.o.store.enqueue(ds);
    for (const d of ds) this.queue.schedule(d.id, d.nextAttemptAt);
  }

  /** Deliveries this node holds (waiting or in flight). */
  get held(): number {
    return this.queue.held;
  }

  /** Resolves when nothing is due now and nothing is in flight (tests). */
  async idle(): Promise<void> {
    for (;;) {
      await this.queue.settled();
      if (!this.queue.hasDueNow()) return;
      this.queue.dispatch();
      await new Promise((r) => setImmediate(r));
    }
  }

  private async attempt(id: string): Promise<void> {
    const { store, clock } = this.o;
    const now = clock.now();
    const c = await store.claim(id, this.queue.claimant, now, now + (this.o.claimMs ?? DEFAULT_CLAIM_MS));
    if ('gone' in c) return;
    if ('busyUntil' in c) return this.queue.schedule(id, Math.max(c.busyUntil, now + 1));
    const d = c.claimed;
    const rule = this.o.ruleOf(d.rule);
    let error: string | undefined;
    if (!rule) error = `rule ${d.rule} no longer exists`;
    else
      try {
        await this.o.send(d, rule);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
    d.attempts++;
    d.updatedAt = clock.now();
    if (error === undefined) {
      d.status = 'delivered';
      d.lastError = null;
      this.o.onAttempt?.(d.rule, 'succeeded');
      await store.settle(d, this.queue.claimant);
      return;
    }
    d.lastError = error.slice(0, 1000);
    if (rule && d.attempts < d.maxAttempts) {
      d.nextAttemptAt = clock.now() + backoffDelay(d.attempts, this.backoff, this.o.random);
      this.o.onAttempt?.(d.rule, 'retry');
      if (await store.settle(d, this.queue.claimant)) this.queue.schedule(d.id, d.nextAttemptAt);
      return;
    }
    d.status = 'failed';
    this.o.onAttempt?.(d.rule, 'failed');
    this.o.log.warn(
      { rule: d.rule, action: d.action, error: d.lastError },
      'rules: action failed after its last attempt',
    );
    // The error action itself does not get an error action (AWS: no error action for the error action).
    const follow = d.action >= 0 ? this.o.errorDelivery(d, rule, d.lastError) : undefined;
    const ok = await store.settleAndEnqueue(d, this.queue.claimant, follow ? [follow] : []);
    if (ok && follow) this.queue.schedule(follow.id, follow.nextAttemptAt);
  }
}
