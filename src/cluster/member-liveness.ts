/**
 * "This member's process is up", as PostgreSQL sees it: a session-level advisory lock held on a
 * connection of its own for the process's life (docs/cluster.md "A node that dies"). PostgreSQL
 * releases the lock when that connection ends — at once when the process is killed or crashes
 * (the kernel closes its sockets), only after TCP keepalive when the machine lost power or the
 * network. The adopter (orphans.ts) adopts a member whose membership lapsed **and** whose lock is
 * gone without the grace it gives a member that may only be stalled (a stalled process keeps its
 * connection, so it keeps the lock and the grace).
 */
import pg from 'pg';
import type { Logger } from '../core/index.js';
import type { PostgresDatabase } from '../store/index.js';

/** First key of the two-key advisory lock (`tsng`); the second is `hashtext(owner)`. */
export const LIVENESS_LOCK_CLASS = 0x74736e67;

/**
 * SQL true while the member named by `column` holds its liveness lock (in this database). Two
 * members whose owners hash alike look alive while either is: a dead one then waits for the grace.
 */
export const livenessHeld = (column: string): string =>
  `EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND l.classid = ${LIVENESS_LOCK_CLASS}::oid AND l.objid = hashtext(${column})::oid)`;

export class MemberLiveness {
  private client: pg.Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: PostgresDatabase,
    private readonly owner: string,
    private readonly log: Logger,
    private readonly retryMs = 500,
  ) {}

  /** Take the lock (retried in the background until it is held again when its connection drops). */
  async start(): Promise<void> {
    await this.hold().catch((err: unknown) => this.lost(err));
  }

  get held(): boolean {
    return this.client !== undefined;
  }

  private async hold(): Promise<void> {
    const o = this.db.pool.options;
    const c = new pg.Client({
      ...(o.connectionString !== undefined ? { connectionString: o.connectionString } : {}),
      application_name: `tsunagu ${this.owner}`,
    });
    let dropped = false;
    const drop = (err?: unknown): void => {
      if (dropped) return;
      dropped = true;
      if (this.client === c) this.client = undefined;
      void c.end().catch(() => undefined);
      if (!this.closed) this.lost(err);
    };
    c.on('error', drop);
    c.on('end', () => drop());
    await c.connect();
    await c.query('SELECT pg_advisory_lock($1::int, hashtext($2))', [LIVENESS_LOCK_CLASS | 0, this.owner]);
    if (this.closed || dropped) {
      dropped = true;
      await c.end().catch(() => undefined);
      return;
    }
    this.client = c;
  }

  private lost(err: unknown): void {
    if (this.closed || this.retry) return;
    this.log.warn({ err }, 'cluster: liveness lock not held, retrying');
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.closed && !this.client) void this.hold().catch((e: unknown) => this.lost(e));
    }, this.retryMs);
    this.retry.unref();
  }

  /** Release the lock (a node that stops cleanly has released its rows already). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
