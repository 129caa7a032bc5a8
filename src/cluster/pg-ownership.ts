/**
 * Ownership with leases in PostgreSQL. Every `renewMs` a node runs one round, as a named list
 * of steps:
 *
 *   heartbeat  → its member row lives `ttl` longer
 *   renew      → its unexpired leases live `ttl` longer (those it no longer has are lost)
 *   look       → live members, free shards
 *   rebalance  → release what is above its share (locally first), or acquire free shards up to it
 *
 * Expiry is decided on the database's clock (every `expires_at` comparison happens in SQL), so
 * node clocks need not agree; a node decides how long *it* may act on its monotonic clock
 * (lease-book.ts). A node killed with -9 keeps its shards until their leases expire: failover
 * takes at most ttl + renewMs (+ one statement), 5 s with the defaults.
 */
import { randomBytes } from 'node:crypto';
import {
  type Clock,
  type Logger,
  type Member,
  type Ownership,
  type OwnershipChange,
  shardOf,
} from '../core/index.js';
import type { PostgresDatabase } from '../store/index.js';
import { LeaseBook, planRound } from './lease-book.js';
import { DB_NOW, ensureClusterTables } from './pg-tables.js';

export interface PgOwnershipOptions {
  db: PostgresDatabase;
  nodeId: string;
  shardCount: number;
  ttlMs: number;
  renewMs: number;
  marginMs: number;
  /** Monotonic clock (performance.now) for local lease deadlines and round timing. */
  clock: Clock;
  log: Logger;
}

export const DEFAULT_LEASE_TIMING = { ttlMs: 4000, renewMs: 1000, marginMs: 1000 };

/** Milliseconds on the database's clock, evaluated per statement. */

export class PgOwnership implements Ownership {
  readonly nodeId: string;
  readonly shardCount: number;
  /** Unique per process: a restarted node with the same name never inherits a dead one's leases. */
  readonly owner: string;
  private readonly book: LeaseBook;
  private readonly listeners = new Set<(c: OwnershipChange) => void>();
  private live: Member[] = [];
  private cancelRound: (() => void) | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;
  /** Monotonic time of the last round that completed (heartbeat, renew, look); -Infinity: none yet. */
  lastRoundAt = -Infinity;

  constructor(private readonly o: PgOwnershipOptions) {
    this.nodeId = o.nodeId;
    this.shardCount = o.shardCount;
    this.owner = `${o.nodeId}#${randomBytes(4).toString('hex')}`;
    this.book = new LeaseBook(o.clock, { ttlMs: o.ttlMs, marginMs: o.marginMs }, (c) => this.emit(c));
  }

  /** Create the tables, then run the first round, so `owns` answers before modules start. */
  async start(): Promise<void> {
    await ensureClusterTables(this.o.db, this.shardCount);
    await this.runRound();
    this.schedule();
  }

  shardOf(key: string): number {
    return shardOf(key, this.shardCount);
  }

  owns(key: string): boolean {
    return this.book.owns(this.shardOf(key));
  }

  ownsShard(shard: number): boolean {
    return this.book.owns(shard);
  }

  ownedShards(): number[] {
    return this.book.shards();
  }

  onChange(listener: (c: OwnershipChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Joined: the last lease round reached the database within the lease's safe window
   * (ttl − margin) and this node is among the live members it saw.
   */
  joined(): boolean {
    return (
      this.o.clock.now() - this.lastRoundAt < this.o.ttlMs - this.o.marginMs &&
      this.live.some((m) => m.nodeId === this.owner)
    );
  }

  /** Milliseconds since the last completed round (Infinity: none yet). */
  sinceLastRound(): number {
    return this.o.clock.now() - this.lastRoundAt;
  }

  members(): Member[] {
    return this.live.map((m) => (m.nodeId === this.owner ? { ...m, shards: this.book.size } : { ...m }));
  }

  /** Stop acting on every shard, then give the leases back so others take them at once. */
  async close(): Promise<void> {
    this.stopped = true;
    this.cancelRound?.();
    await this.round;
    this.book.releaseAll();
    this.book.close();
    try {
      await this.o.db.pool.query('DELETE FROM cluster_leases WHERE owner = $1', [this.owner]);
      await this.o.db.pool.query('DELETE FROM cluster_members WHERE owner = $1', [this.owner]);
    } catch (err) {
      this.o.log.warn({ err }, 'cluster: leases could not be released (they expire on their own)');
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.cancelRound = this.o.clock.setTimer(this.o.renewMs, () => {
      this.round = this.runRound().finally(() => {
        this.round = undefined;
        this.schedule();
      });
    });
  }

  private async runRound(): Promise<void> {
    try {
      await this.heartbeat();
      await this.renew();
      const { free } = await this.look();
      this.lastRoundAt = this.o.clock.now();
      await this.rebalance(free);
    } catch (err) {
      // Leases run out locally (lease-book) if this keeps failing; nothing else to do here.
      this.o.log.warn({ err }, 'cluster: lease round failed');
    }
  }

  /**
   * The member row lives one renew interval less than a lease: when a dead node's leases expire
   * the survivors already count one member less, so their share covers its shards in one round.
   */
  private async heartbeat(): Promise<void> {
    await this.o.db.pool.query(
      `INSERT INTO cluster_members (owner, node_id, started_at, expires_at)
       VALUES ($1, $2, ${DB_NOW}, ${DB_NOW} + $3)
       ON CONFLICT (owner) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
      [this.owner, this.nodeId, Math.max(this.o.renewMs, this.o.ttlMs - this.o.renewMs)],
    );
  }

  private async renew(): Promise<void> {
    const t0 = this.o.clock.now();
    const r = await this.o.db.pool.query<{ shard: number }>(
      `UPDATE cluster_leases SET expires_at = ${DB_NOW} + $2
       WHERE owner = $1 AND expires_at > ${DB_NOW} RETURNING shard`,
      [this.owner, this.o.ttlMs],
    );
    if (this.stopped) return;
    this.book.renewed(
      t0,
      r.rows.map((x) => x.shard),
    );
  }

  private async look(): Promise<{ free: number }> {
    const r = await this.o.db.pool.query<{ owner: string; node_id: string; shards: string }>(
      `SELECT m.owner, m.node_id,
              (SELECT count(*) FROM cluster_leases l WHERE l.owner = m.owner AND l.expires_at > ${DB_NOW}) AS shards
       FROM cluster_members m WHERE m.expires_at > ${DB_NOW} ORDER BY m.started_at, m.owner`,
    );
    const f = await this.o.db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM generate_series(0, $1 - 1) s
       WHERE NOT EXISTS (SELECT 1 FROM cluster_leases l WHERE l.shard = s AND l.expires_at > ${DB_NOW})`,
      [this.shardCount],
    );
    this.live = r.rows.map((m) => ({ nodeId: m.owner, shards: Number(m.shards) }));
    return { free: Number(f.rows[0]?.n ?? 0) };
  }

  private async rebalance(free: number): Promise<void> {
    if (this.stopped) return;
    const plan = planRound(this.shardCount, Math.max(1, this.live.length), this.book.size, free);
    if (plan.release > 0) {
      const shards = this.book.pickRelease(plan.release);
      this.book.release(shards); // stop first, then let others take them
      await this.o.db.pool.query('DELETE FROM cluster_leases WHERE owner = $1 AND shard = ANY($2::int[])', [
        this.owner,
        shards,
      ]);
    } else if (plan.acquire > 0) {
      // Random free shards, so nodes starting together rarely race for the same rows. A lost race
      // (the conflict's WHERE fails) returns fewer rows while other shards stay free: try again at
      // once (twice at most), so a dead node's shards move in one round, not two.
      let wanted = plan.acquire;
      for (let attempt = 0; attempt < 3 && wanted > 0 && !this.stopped; attempt++) {
        const got = await this.acquire(wanted);
        if (got === 0) break;
        wanted -= got;
      }
    }
  }

  private async acquire(n: number): Promise<number> {
    const t0 = this.o.clock.now();
    const r = await this.o.db.pool.query<{ shard: number }>(
      `INSERT INTO cluster_leases (shard, owner, expires_at)
       SELECT s, $1, ${DB_NOW} + $3 FROM generate_series(0, $2 - 1) s
       WHERE NOT EXISTS (SELECT 1 FROM cluster_leases l WHERE l.shard = s AND l.expires_at > ${DB_NOW})
       ORDER BY random() LIMIT $4
       ON CONFLICT (shard) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
         WHERE cluster_leases.expires_at <= EXCLUDED.expires_at - $3
       RETURNING shard`,
      [this.owner, this.shardCount, this.o.ttlMs, n],
    );
    if (this.stopped) return 0;
    this.book.acquired(
      t0,
      r.rows.map((x) => x.shard),
    );
    return r.rows.length;
  }

  private emit(c: OwnershipChange): void {
    for (const fn of this.listeners) {
      try {
        fn(c);
      } catch (err) {
        this.o.log.error({ err }, 'ownership listener failed');
      }
    }
  }
}
