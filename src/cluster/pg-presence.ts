/**
 * Presence across nodes (the registry's seam, registry/presence.ts): a shared PostgreSQL table,
 * one row per (device, member holding a connection), plus `presence` notices over NATS so every
 * node keeps a synchronous view of where each device is connected.
 *
 * - This node's connections are exact (`LocalConnections`); first-open / last-close transitions are
 *   coalesced per device and written every `flushMs` in one upsert + one delete, and only then
 *   announced (so a node that hears a notice and calls `locate()` finds the row).
 * - The view mirrors the table. A node killed with -9 stops renewing its membership (pg-ownership.ts):
 *   its member row expires (ttl − renew after its last round), and the owner of the
 *   `presence.sweep` key deletes its rows — the one place that records the devices as disconnected
 *   (`node_lost`, `recorded: true`) — then tells every node (`gone`, `lost`), which drop them.
 *   Nothing a dead node held stays connected. Only the sweep decides, not each node's own look at
 *   the members: a node whose heartbeat is late on a loaded machine must not vanish from some views
 *   and stay in others. `locate()` counts a row only while its member is live.
 * - Notices are best effort: on a resync (gap or NATS reconnect) the view is reloaded from the table
 *   and this node re-writes its own rows; a node told that its rows were swept while it was alive
 *   (cut off from the database longer than its membership) writes them back (`restored`).
 */
import type {
  Clock,
  ClusterEventMap,
  ClusterEvents,
  DeviceLastSeen,
  DeviceMessageKind,
  Logger,
  Ownership,
} from '../core/index.js';
import {
  LocalConnections,
  PresenceListeners,
  type PresenceBackend,
  type PresenceChange,
  type PresenceEntry,
} from '../registry/index.js';
import type { PostgresDatabase } from '../store/index.js';
import { DB_NOW } from './pg-tables.js';

export interface PgPresenceOptions {
  db: PostgresDatabase;
  /** Process-unique member id (PgOwnership.owner); rows are keyed by it. */
  member: string;
  nodeId: string;
  ownership: Ownership;
  events: ClusterEvents;
  /** Monotonic clock for the flush and check timers. */
  timers: Clock;
  /** Wall-clock ms for the `at` of changes this node detects (the app's clock). */
  now: () => number;
  log: Logger;
  /** Coalescing window for writes and notices (default 25 ms). */
  flushMs?: number;
  /** How often the owner of `presence.sweep` deletes dead members' rows (default 1 s). */
  checkMs?: number;
}

/** Milliseconds on the database's clock, as pg-ownership.ts compares member expiry. */
const LIVE = `EXISTS (SELECT 1 FROM cluster_members m WHERE m.owner = p.owner AND m.expires_at > ${DB_NOW})`;
/** Largest notice: keeps a connect storm's messages well under NATS's 1 MB payload limit. */
const NOTICE_CHUNK = 2000;

interface Remote {
  nodeId: string;
  since: number;
}

export class PgPresence implements PresenceBackend {
  readonly nodeId: string;
  private readonly local = new LocalConnections();
  private readonly listeners: PresenceListeners;
  /** Other members' connections: device → member → where. */
  private readonly remote = new Map<string, Map<string, Remote>>();
  private readonly byMember = new Map<string, Set<string>>();
  /** Coalesced writes: device → since (connected here) or null (left here). */
  private pending = new Map<string, number | null>();
  private cancelFlush: (() => void) | undefined;
  private cancelCheck: (() => void) | undefined;
  private writing: Promise<void> = Promise.resolve();
  private loading: ClusterEventMap['presence'][] | undefined;
  private readonly offs: (() => void)[] = [];
  private stopped = false;
  /** Rows this node's sweeps removed (for tests and metrics). */
  swept = 0;

  constructor(private readonly o: PgPresenceOptions) {
    this.nodeId = o.nodeId;
    this.listeners = new PresenceListeners((err) => o.log.error({ err }, 'presence listener failed'));
  }

  async start(): Promise<void> {
    this.offs.push(
      this.o.events.subscribe('presence', (n) => this.notice(n)),
      this.o.events.onResync(() => void this.resync()),
    );
    await this.load();
    this.scheduleCheck();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelCheck?.();
    for (const off of this.offs.splice(0)) off();
    await this.flush();
    try {
      await this.o.db.pool.query('DELETE FROM cluster_presence WHERE owner = $1', [this.o.member]);
      this.o.events.publish('presence', { member: this.o.member, nodeId: this.nodeId, gone: true });
    } catch (err) {
      this.o.log.warn({ err }, 'presence: rows not removed (they stop counting when the membership expires)');
    }
  }

  // --- feed (this node's connections) --------------------------------------------------------

  connected(id: string, at: number): void {
    const first = this.local.connected(id, at);
    // A takeover on this node (new open before the old close) moves `since` on, without a change.
    this.pending.set(id, this.local.since(id) ?? at);
    this.scheduleFlush();
    if (first) this.emit({ deviceId: id, online: true, at, member: this.o.member, cause: 'connect' });
  }

  disconnected(id: string, at: number): boolean {
    if (!this.local.disconnected(id, at)) return false;
    this.pending.set(id, null);
    this.scheduleFlush();
    this.emit({ deviceId: id, online: false, at, member: this.o.member, cause: 'disconnect' });
    return true;
  }

  seen(id: string, at: number, kind?: DeviceMessageKind): boolean {
    return this.local.seen(id, at, kind);
  }

  // --- reads ---------------------------------------------------------------------------------

  isConnected(id: string): boolean {
    return this.local.has(id) || this.remote.has(id);
  }

  isLocal(id: string): boolean {
    return this.local.has(id);
  }

  where(id: string): PresenceEntry[] {
    const out: PresenceEntry[] = [];
    const since = this.local.since(id);
    if (since !== undefined) out.push({ deviceId: id, nodeId: this.nodeId, member: this.o.member, since });
    for (const [member, r] of this.remote.get(id) ?? [])
      out.push({ deviceId: id, nodeId: r.nodeId, member, since: r.since });
    return out.sort((a, b) => b.since - a.since);
  }

  async locate(id: string): Promise<PresenceEntry[]> {
    await this.writing; // this node's own pending transitions first
    const r = await this.o.db.pool.query<{ owner: string; node_id: string; since: string }>(
      `SELECT p.owner, p.node_id, p.since FROM cluster_presence p WHERE p.device_id = $1 AND ${LIVE}
       ORDER BY p.since DESC`,
      [id],
    );
    return r.rows.map((x) => ({ deviceId: id, nodeId: x.node_id, member: x.owner, since: Number(x.since) }));
  }

  lastSeenAt(id: string): number | undefined {
    return this.local.lastSeenAt(id);
  }

  lastConnectAt(id: string): number | undefined {
    return this.local.lastConnectAt(id);
  }

  lastSeen(id: string): DeviceLastSeen | undefined {
    return this.local.lastSeenRecord(id);
  }

  connectedCount(): number {
    let n = this.local.size;
    for (const id of this.remote.keys()) if (!this.local.has(id)) n++;
    return n;
  }

  localCount(): number {
    return this.local.size;
  }

  /** Connections per member (`nodeId#random`) as this node knows them, this node included. */
  countsByMember(): Record<string, number> {
    const out: Record<string, number> = { [this.o.member]: this.local.size };
    for (const [member, ids] of this.byMember) if (ids.size > 0) out[member] = ids.size;
    return out;
  }

  onChange(listener: (c: PresenceChange) => void): () => void {
    return this.listeners.add(listener);
  }

  // --- writes --------------------------------------------------------------------------------

  private scheduleFlush(): void {
    this.cancelFlush ??= this.o.timers.setTimer(this.o.flushMs ?? 25, () => {
      this.cancelFlush = undefined;
      void this.flush();
    });
  }

  /** Write pending transitions (one upsert, one delete), then announce them. */
  flush(): Promise<void> {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    const batch = this.pending;
    this.pending = new Map();
    this.writing = this.writing.then(async () => {
      if (batch.size === 0) return;
      const up: [string, number][] = [];
      const down: string[] = [];
      for (const [id, since] of batch)
        if (since === null) down.push(id);
        else up.push([id, since]);
      try {
        await this.write(up, down);
      } catch (err) {
        this.o.log.warn({ err, up: up.length, down: down.length }, 'presence: write failed, retrying');
        // Newer transitions for the same device win over the failed ones.
        for (const [id, since] of batch) if (!this.pending.has(id)) this.pending.set(id, since);
        if (!this.stopped) this.scheduleFlush();
        return;
      }
      this.announce(up, down);
    });
    return this.writing;
  }

  private async write(up: [string, number][], down: string[]): Promise<void> {
    if (up.length > 0)
      await this.o.db.pool.query(
        `INSERT INTO cluster_presence (device_id, owner, node_id, since)
         SELECT d, $2, $3, s FROM unnest($1::text[], $4::bigint[]) AS t(d, s)
         ON CONFLICT (device_id, owner) DO UPDATE SET since = EXCLUDED.since`,
        [up.map((u) => u[0]), this.o.member, this.nodeId, up.map((u) => u[1])],
      );
    if (down.length > 0)
      await this.o.db.pool.query(
        'DELETE FROM cluster_presence WHERE owner = $1 AND device_id = ANY($2::text[])',
        [this.o.member, down],
      );
  }

  private announce(up: [string, number][], down: string[]): void {
    for (let i = 0; i < Math.max(up.length, down.length); i += NOTICE_CHUNK) {
      const u = up.slice(i, i + NOTICE_CHUNK);
      const d = down.slice(i, i + NOTICE_CHUNK);
      this.o.events.publish('presence', {
        member: this.o.member,
        nodeId: this.nodeId,
        ...(u.length ? { up: u } : {}),
        ...(d.length ? { down: d } : {}),
      });
    }
  }

  /** Write every local connection again (after a resync, or after this node's rows were swept). */
  private async reassert(cause: 'restored' | undefined): Promise<void> {
    const up: [string, number][] = [];
    for (const [id, c] of this.local.entries()) up.push([id, c.since]);
    await this.write(up, []);
    this.announce(up, []);
    if (cause)
      for (const [id, since] of up)
        this.emit({ deviceId: id, online: true, at: since, member: this.o.member, cause });
  }

  // --- other nodes ---------------------------------------------------------------------------

  private notice(n: ClusterEventMap['presence']): void {
    if (n.member === this.o.member) {
      // Someone swept this node's rows while it was alive: write them back.
      if (n.gone && !this.stopped)
        void this.reassert('restored').catch((err: unknown) =>
          this.o.log.warn({ err }, 'presence: restore failed'),
        );
      return;
    }
    if (this.loading) {
      this.loading.push(n);
      return;
    }
    this.apply(n);
  }

  private apply(n: ClusterEventMap['presence']): void {
    if (n.gone) {
      this.dropMember(n.member, n.lost ? 'node_lost' : 'notice', false);
      return;
    }
    for (const [id, since] of n.up ?? []) {
      const was = this.isConnected(id);
      let at = this.remote.get(id);
      if (!at) this.remote.set(id, (at = new Map()));
      at.set(n.member, { nodeId: n.nodeId, since });
      let set = this.byMember.get(n.member);
      if (!set) this.byMember.set(n.member, (set = new Set()));
      set.add(id);
      if (!was) this.emit({ deviceId: id, online: true, at: since, member: n.member, cause: 'notice' });
    }
    for (const id of n.down ?? []) {
      this.byMember.get(n.member)?.delete(id);
      if (this.forget(id, n.member))
        this.emit({ deviceId: id, online: false, at: this.o.now(), member: n.member, cause: 'notice' });
    }
  }

  /** Remove one remote entry; true when the device is now connected nowhere. */
  private forget(id: string, member: string): boolean {
    const at = this.remote.get(id);
    if (!at?.delete(member)) return false;
    if (at.size === 0) this.remote.delete(id);
    return !this.isConnected(id);
  }

  private dropMember(member: string, cause: 'notice' | 'node_lost', recorded: boolean): void {
    const ids = this.byMember.get(member);
    this.byMember.delete(member);
    for (const id of ids ?? [])
      if (this.forget(id, member))
        this.emit({ deviceId: id, online: false, at: this.o.now(), member, cause, recorded });
  }

  /** The view from the table: every other member's rows (dead members' rows go with the sweep). */
  private async load(): Promise<void> {
    this.loading = [];
    try {
      const r = await this.o.db.pool.query<{
        device_id: string;
        owner: string;
        node_id: string;
        since: string;
      }>('SELECT p.device_id, p.owner, p.node_id, p.since FROM cluster_presence p WHERE p.owner <> $1', [
        this.o.member,
      ]);
      const byMember = new Map<string, ClusterEventMap['presence']>();
      for (const row of r.rows) {
        let n = byMember.get(row.owner);
        if (!n) byMember.set(row.owner, (n = { member: row.owner, nodeId: row.node_id, up: [] }));
        n.up!.push([row.device_id, Number(row.since)]);
      }
      // Members no longer in the table lost their devices while notices were missed.
      for (const member of [...this.byMember.keys()])
        if (!byMember.has(member)) this.dropMember(member, 'notice', false);
      for (const n of byMember.values()) {
        const listed = new Set(n.up!.map((u) => u[0]));
        for (const id of [...(this.byMember.get(n.member) ?? [])])
          if (!listed.has(id)) this.apply({ member: n.member, nodeId: n.nodeId, down: [id] });
        this.apply(n);
      }
    } finally {
      const queued = this.loading;
      this.loading = undefined;
      for (const n of queued) this.apply(n);
    }
  }

  private async resync(): Promise<void> {
    try {
      await this.reassert(undefined);
      await this.load();
    } catch (err) {
      this.o.log.warn({ err }, 'presence: resync failed (retried at the next one)');
    }
  }

  private scheduleCheck(): void {
    if (this.stopped) return;
    this.cancelCheck = this.o.timers.setTimer(this.o.checkMs ?? 1000, () => {
      void this.check().finally(() => this.scheduleCheck());
    });
  }

  /** On the owner of `presence.sweep`: delete dead members' rows — the one record of their devices leaving. */
  private async check(): Promise<void> {
    if (!this.o.ownership.owns('presence.sweep')) return;
    try {
      const r = await this.o.db.pool.query<{ device_id: string; owner: string }>(
        `DELETE FROM cluster_presence p WHERE p.owner <> $1 AND NOT ${LIVE} RETURNING p.device_id, p.owner`,
        [this.o.member],
      );
      if (r.rows.length === 0) return;
      this.swept += r.rows.length;
      const victims = new Set<string>();
      const at = this.o.now();
      for (const row of r.rows) {
        victims.add(row.owner);
        this.forget(row.device_id, row.owner);
        this.byMember.get(row.owner)?.delete(row.device_id);
        this.emit({
          deviceId: row.device_id,
          online: this.isConnected(row.device_id),
          at,
          member: row.owner,
          cause: 'node_lost',
          recorded: true,
        });
      }
      this.o.log.warn(
        { members: [...victims], devices: r.rows.length },
        'presence: cleared devices of lost nodes',
      );
      for (const member of victims) {
        this.dropMember(member, 'node_lost', false); // devices whose rows went before this sweep
        this.o.events.publish('presence', {
          member,
          nodeId: member.split('#')[0] ?? member,
          gone: true,
          lost: true,
        });
      }
    } catch (err) {
      this.o.log.warn({ err }, 'presence: sweep failed');
    }
  }

  private emit(c: PresenceChange): void {
    this.listeners.emit(c);
  }
}
