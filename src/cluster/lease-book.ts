/**
 * The leases this node holds, as this node may act on them. Pure bookkeeping on an injected
 * monotonic clock (pg-ownership.ts does the I/O), so the state machine is tested without a
 * database or sleeping.
 *
 * A shard's life on one node:
 *  - `absent`  not held (never acquired, released, or lost)
 *  - `held`    acquired or renewed at local time t0 (taken *before* the database statement was
 *              sent); acted on until `t0 + ttl − margin`. The database set its expiry at a later
 *              instant (+ ttl, on the database's clock), so with equal clock rates this node stops
 *              before the lease can expire; `margin` covers clock-rate drift and timer lateness.
 *  - expired locally: the deadline passed without a renewal → dropped, listeners told `lost` —
 *    before any other node can acquire it.
 */
import type { Clock, OwnershipChange } from '../core/index.js';

export interface LeaseTiming {
  /** Lease length on the database's clock. */
  ttlMs: number;
  /** How much earlier than `t0 + ttl` this node stops acting on a lease. */
  marginMs: number;
}

/** Shards a node should hold: an even split, rounding up, so every shard fits. */
export function targetShare(shardCount: number, members: number): number {
  return Math.ceil(shardCount / Math.max(1, members));
}

/** What one round should do given how many shards this node holds and how many are free. */
export function planRound(
  shardCount: number,
  members: number,
  held: number,
  free: number,
): { acquire: number; release: number } {
  const target = targetShare(shardCount, members);
  if (held > target) return { acquire: 0, release: held - target };
  return { acquire: Math.min(free, target - held), release: 0 };
}

export class LeaseBook {
  /** shard → local deadline (monotonic ms). */
  private readonly held = new Map<number, number>();
  private cancelExpiry: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly timing: LeaseTiming,
    private readonly emit: (change: OwnershipChange) => void,
  ) {}

  owns(shard: number): boolean {
    const d = this.held.get(shard);
    // Checked against the clock, not only by the expiry timer: a stalled event loop must not
    // extend a lease.
    return d !== undefined && this.clock.now() < d;
  }

  shards(): number[] {
    return [...this.held.keys()].filter((s) => this.owns(s)).sort((a, b) => a - b);
  }

  get size(): number {
    return this.shards().length;
  }

  /**
   * Result of a renewal sent at `t0`: `renewed` are the shards the database still gives this
   * node. Held shards missing from it were taken or expired → lost; renewed shards not held
   * (dropped locally, still valid in the database) → gained again.
   */
  renewed(t0: number, renewed: readonly number[]): void {
    const now = new Set(renewed);
    const lost = [...this.held.keys()].filter((s) => !now.has(s));
    for (const s of lost) this.held.delete(s);
    const gained: number[] = [];
    for (const s of renewed) {
      if (!this.owns(s)) gained.push(s);
      this.held.set(s, t0 + this.timing.ttlMs - this.timing.marginMs);
    }
    this.expireDue(lost, gained);
  }

  /** Newly acquired at `t0`. */
  acquired(t0: number, shards: readonly number[]): void {
    const gained: number[] = [];
    for (const s of shards) {
      if (!this.owns(s)) gained.push(s);
      this.held.set(s, t0 + this.timing.ttlMs - this.timing.marginMs);
    }
    this.expireDue([], gained);
  }

  /** Stop acting on these shards now (before the lease rows are released). */
  release(shards: readonly number[]): void {
    const lost = shards.filter((s) => this.held.delete(s));
    this.expireDue(lost, []);
  }

  /** Drop everything (shutdown or lost database). */
  releaseAll(): number[] {
    const all = [...this.held.keys()];
    this.release(all);
    return all;
  }

  /** Which held shards to give up when holding more than the target: the highest numbered. */
  pickRelease(n: number): number[] {
    const held = this.shards();
    return held.slice(Math.max(0, held.length - n));
  }

  close(): void {
    this.cancelExpiry?.();
    this.cancelExpiry = undefined;
  }

  /** Drop shards past their local deadline, tell listeners, and arm the next local expiry. */
  private expireDue(lost: number[], gained: number[]): void {
    const now = this.clock.now();
    for (const [s, d] of this.held)
      if (d <= now) {
        this.held.delete(s);
        lost.push(s);
      }
    const gainedNow = gained.filter((s) => this.held.has(s));
    if (lost.length || gainedNow.length)
      this.emit({ gained: gainedNow.sort((a, b) => a - b), lost: lost.sort((a, b) => a - b) });
    this.cancelExpiry?.();
    this.cancelExpiry = undefined;
    if (this.held.size === 0) return;
    const next = Math.min(...this.held.values());
    this.cancelExpiry = this.clock.setTimer(Math.max(0, next - now), () => this.expireDue([], []));
  }
}
