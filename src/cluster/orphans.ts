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
import { DB_NOW } from './pg-tables.js';

export const ORPHANS_KEY = 'mqtt.orphans';

/**
 * SQL true while the member named by `column` is alive, or its membership lapsed less than
 * `graceMs` ago: a node stalled for a few seconds (start-up on a loaded machine) is not adopted.
 */
export const liveMember =
  (graceMs: number) =>
  (column: string): string =>
    `EXISTS (SELECT 1 FROM cluster_members m WHERE m.owner = ${column} AND m.expires_at > ${DB_NOW} - ${Math.round(graceMs)})`;

export interface OrphanAdopterOptions {
  ownership: Ownership;
  everyMs: number;
  /** A member counts as dead once its membership lapsed this long ago (default 8 s: twice the lease ttl). */
  graceMs?: number;
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

  async tick(): Promise<void> {
    if (this.running || !this.o.ownership.owns(ORPHANS_KEY)) return;
    this.running = true;
    try {
      const { dead, from } = await this.o.adopt(liveMember(this.o.graceMs ?? 8000), this.o.candidates());
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
