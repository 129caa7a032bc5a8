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
import { randomUUID } from 'node:crypto';
import type { Clock, Logger, Ownership, OwnershipChange } from '../core/index.js';
import { singleNodeOwnership } from '../core/index.js';
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
export const DEFAULT_SWEEP_MS = 5_000;
const SWEEP_BATCH = 1000;

export class DeliveryQueue {
  private readonly due = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly ownership: Ownership;
  private readonly backoff: BackoffPolicy;
  private readonly claimant: string;
  private cancelTimer: (() => void) | undefined;
  private cancelSweep: (() => void) | undefined;
  private unlisten: (() => void) | undefined;
  private armedAt = Infinity;
  /** The earliest due time held (≤ the true minimum): dispatch skips the scan until then. */
  private earliest = Infinity;
  private stopped = false;

  constructor(private readonly o: QueueOptions) {
    this.ownership = o.ownership ?? singleNodeOwnership();
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.claimant = `${this.ownership.nodeId}#${randomUUID().slice(0, 8)}`;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.unlisten = this.ownership.onChange((c) => this.onOwnershipChange(c));
    await this.reload();
    this.dispatch();
    const every = this.o.sweepMs ?? DEFAULT_SWEEP_MS;
    const sweep = (): void => {
      this.cancelSweep = this.o.clock.setTimer(every, () => {
        if (this.stopped) return;
        this.reload().then(
          () => this.dispatch(),
          (err: unknown) => this.o.log.error({ err }, 'rules: queue reload failed'),
        );
        sweep();
      });
    };
    sweep();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unlisten?.();
    this.cancelSweep?.();
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.armedAt = Infinity;
    await Promise.all(this.inFlight.values());
  }

  /** Durably queue deliveries, then attempt the owned ones. Resolves once they are written. */
  async enqueue(ds: Delivery[]): Promise<void> {
    if (ds.length === 0) return;
    await this.o.store.enqueue(ds);
    for (const d of ds) this.schedule(d.id, d.nextAttemptAt);
    this.dispatch();
  }

  /** Deliveries this node holds (waiting or in flight). */
  get held(): number {
    return this.due.size + this.inFlight.size;
  }

  /** Resolves when nothing is due now and nothing is in flight (tests). */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.all(this.inFlight.values());
      const now = this.o.clock.now();
      if (this.inFlight.size === 0 && ![...this.due.values()].some((at) => at <= now)) return;
      this.dispatch();
      await new Promise((r) => setImmediate(r));
    }
  }

  private schedule(id: string, at: number): void {
    if (this.ownership.owns(id)) {
      this.due.set(id, at);
      if (at < this.earliest) this.earliest = at;
    } else this.due.delete(id);
  }

  private async reload(): Promise<void> {
    const horizon = this.o.clock.now() + (this.o.sweepMs ?? DEFAULT_SWEEP_MS);
    for (const d of await this.o.store.due(horizon, SWEEP_BATCH))
      if (!this.due.has(d.id) && !this.inFlight.has(d.id)) this.schedule(d.id, d.nextAttemptAt);
  }

  private onOwnershipChange(c: OwnershipChange): void {
    const lost = new Set(c.lost);
    for (const id of this.due.keys()) if (lost.has(this.ownership.shardOf(id))) this.due.delete(id);
    if (c.gained.length > 0)
      this.reload().then(
        () => this.dispatch(),
        (err: unknown) => this.o.log.error({ err }, 'rules: queue reload failed'),
      );
  }

  private dispatch(): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    const max = this.o.maxConcurrent ?? 32;
    // A backlog waiting for its retry time is not scanned on every new message.
    if (now < this.earliest || this.inFlight.size >= max) return this.arm();
    let earliest = Infinity;
    let full = false;
    for (const [id, at] of this.due) {
      if (full || at > now || this.inFlight.has(id)) {
        if (at < earliest) earliest = at;
        continue;
      }
      if (this.inFlight.size >= max) {
        full = true;
        if (at < earliest) earliest = at;
        continue;
      }
      this.due.delete(id);
      if (!this.ownership.owns(id)) continue;
      const p = this.attempt(id)
        .catch((err: unknown) => {
          this.o.log.error({ err, delivery: id }, 'rules: attempt failed unexpectedly');
          this.schedule(id, this.o.clock.now() + this.backoff.baseMs);
        })
        .finally(() => {
          this.inFlight.delete(id);
          this.dispatch();
        });
      this.inFlight.set(id, p);
    }
    this.earliest = earliest;
    this.arm();
  }

  private arm(): void {
    const next = this.earliest;
    // While every slot is busy, the next attempt's completion dispatches again: no timer to spin.
    if (next === this.armedAt || this.stopped || this.inFlight.size >= (this.o.maxConcurrent ?? 32)) return;
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
    const { store, clock } = this.o;
    const now = clock.now();
    const c = await store.claim(id, this.claimant, now, now + (this.o.claimMs ?? DEFAULT_CLAIM_MS));
    if ('gone' in c) return;
    if ('busyUntil' in c) return this.schedule(id, Math.max(c.busyUntil, now + 1));
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
      await store.settle(d, this.claimant);
      return;
    }
    d.lastError = error.slice(0, 1000);
    if (rule && d.attempts < d.maxAttempts) {
      d.nextAttemptAt = clock.now() + backoffDelay(d.attempts, this.backoff, this.o.random);
      this.o.onAttempt?.(d.rule, 'retry');
      if (await store.settle(d, this.claimant)) this.schedule(d.id, d.nextAttemptAt);
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
    const ok = await store.settleAndEnqueue(d, this.claimant, follow ? [follow] : []);
    if (ok && follow) {
      this.schedule(follow.id, follow.nextAttemptAt);
      this.dispatch();
    }
  }
}
