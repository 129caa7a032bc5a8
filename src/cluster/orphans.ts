/**
 * Adoption of a dead node's MQTT sessions and wills (docs/cluster.md "A node that dies"). The owner
 * of the shard key `mqtt.orphans` looks every `everyMs` for holders of session and will rows whose
 * `cluster_members` row is no longer live (killed with -9, cut off, or stopped), and takes their
 * rows over in one transaction (`FanOutHost.adoptOrphans`, mqtt/handover.ts): the sessions wait
 * offline here with their subscriptions announced, so messages for them are queued durably; the
 * wills are published when due (will delay counted from the adoption). The row move is a
 * compare-and-set (`UPDATE … WHERE holder = dead`), so a lease moving mid-round adopts nothing twice.
 */
import type { Logger, Ownership } from '../core/index.js';
import { livenessHeld } from './member-liveness.js';
import { DB_NOW } from './pg-tables.js';

export const ORPHANS_KEY = 'mqtt.orphans';

/**
 * SQL true while the member named by `column` is alive, or its membership lapsed less than
 * `graceMs` ago: a node stalled for a few seconds (start-up on a loaded machine) is not adopted.
 * With `quickMs`, the grace holds only while the member still holds its liveness lock
 * (member-liveness.ts): a member whose process is gone — its connection closed, so its lock
 * released — counts as dead `quickMs` after its membership lapsed.
 */
export const liveMember =
  (graceMs: number, quickMs?: number) =>
  (column: string): string => {
    const row = `SELECT 1 FROM cluster_members m WHERE m.owner = ${column}`;
    const lapsed = (ms: number): string => `m.expires_at > ${DB_NOW} - ${Math.round(ms)}`;
    if (quickMs === undefined) return `EXISTS (${row} AND ${lapsed(graceMs)})`;
    return `EXISTS (${row} AND (${lapsed(quickMs)} OR (${lapsed(graceMs)} AND ${livenessHeld(column)})))`;
  };

export interface OrphanAdopterOptions {
  ownership: Ownership;
  everyMs: number;
  /** A member counts as dead once its membership lapsed this long ago (default 8 s: twice the lease ttl). */
  graceMs?: number;
  /**
   * …or this long ago when its liveness lock is gone too (its process ended; member-liveness.ts).
   * Used only while this node has been a member without a break for `graceMs` since it was last
   * not one: after an outage of the database every member's lock and membership lapse together,
   * and each gets the grace to come back.
   */
  quickGraceMs?: number;
  /** This node is a member now (its last lease round reached the database in time). */
  joined?: () => boolean;
  log: Logger;
  adopt(
    live: (column: string) => string,
    candidates: readonly string[],
  ): Promise<{ dead: string[]; from: Map<string, string[]> }>;
  /** Members other nodes announced (also candidates when they held no rows). */
  candidates(): string[];
  /** Tell the other nodes (fan-out): forget `dead`, send what was meant for it here. */
  adopted(dead: string, clients: string[]): void;
}

export class OrphanAdopter {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly o: OrphanAdopterOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** performance.now() since when this node has been a member without a break (from its start). */
  private steadySince: number | undefined = -Infinity;

  async tick(): Promise<void> {
    const now = performance.now();
    if (this.o.joined && !this.o.joined()) this.steadySince = undefined;
    else this.steadySince ??= now;
    if (this.running || !this.o.ownership.owns(ORPHANS_KEY)) return;
    this.running = true;
    const grace = this.o.graceMs ?? 8000;
    const steady = this.steadySince !== undefined && now - this.steadySince >= grace;
    const quick = steady ? this.o.quickGraceMs : undefined;
    try {
      const { dead, from } = await this.o.adopt(liveMember(grace, quick), this.o.candidates());
      for (const d of dead) {
        const clients = from.get(d) ?? [];
        this.o.log.warn(
          { member: d, clients: clients.length },
          'cluster: adopted a dead member’s sessions and wills',
        );
        this.o.adopted(d, clients);
      }
    } catch (err) {
      this.o.log.warn({ err }, 'cluster: adopting dead members’ sessions failed');
    } finally {
      this.running = false;
    }
  }
}
