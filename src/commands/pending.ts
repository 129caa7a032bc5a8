/**
 * The commands a node holds in memory, their one timer each, their long-poll waiters, and how
 * they stay right when several nodes share the store (docs/cluster.md):
 *
 * - a node holds the commands it created, and those whose device's shard it owns;
 * - only the owner of `shardOf(deviceId)` arms a deadline; a node that sets a deadline it does not
 *   own hands it over (`command.scheduled`), and an owner that gains shards loads them from the store;
 * - every write is a compare-and-set on the status this node last saw (`stored`): when it fails,
 *   another node moved the command first, and the store's version replaces this node's copy.
 */
import type {
  Clock,
  ClusterEvents,
  CommandStatus,
  Context,
  Span,
  Logger,
  Ownership,
  OwnershipChange,
} from '../core/index.js';
import type { CommandStore } from './commands-store.js';
import { FINAL_STATUSES, type CommandRecord } from './types.js';

export interface Pending {
  rec: CommandRecord;
  /** The status the store had when this node last wrote or read it (the compare-and-set value). */
  stored: CommandStatus;
  /** `owner`: held only because this node owns the device's shard; dropped when it loses it. */
  origin: 'created' | 'owner';
  cancelTimer?: () => void;
  /** Store writes for this command, in order. */
  writes: Promise<void>;
  /** The command's trace (trace.ts): its span while it lives on this node, the reply's context. */
  span?: Span;
  replyContext?: Context;
}

export interface PendingDeps {
  store: CommandStore;
  clock: Clock;
  log: Logger;
  ownership: Ownership;
  events: ClusterEvents;
  /** A command's deadline (or queue expiry) passed on its owner. */
  onDue: (p: Pending) => void;
}

export class PendingCommands {
  readonly map = new Map<string, Pending>();
  readonly waiters = new Map<string, Set<(rec: CommandRecord) => void>>();

  constructor(private readonly d: PendingDeps) {}

  get events(): ClusterEvents {
    return this.d.events;
  }

  /** Subscribe to ownership changes and hand-offs from other nodes; returns the unsubscribers. */
  listen(): (() => void)[] {
    return [
      this.d.ownership.onChange((c) => this.onOwnershipChange(c)),
      this.d.events.subscribe('command.scheduled', (e) => this.onScheduled(e.commandId, e.deviceId)),
      this.d.events.subscribe('command.settled', (e) => this.onSettled(e.commandId)),
      this.d.events.onResync(() => this.resync()),
    ];
  }

  /** Write the command if the store still has the status this node last saw; false if not. */
  persist(p: Pending): Promise<boolean> {
    const snapshot = { ...p.rec };
    const write = async (): Promise<boolean> => {
      const ok = await this.d.store.update(snapshot, p.stored);
      if (ok) p.stored = snapshot.status;
      return ok;
    };
    const result = p.writes.then(write, write);
    p.writes = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * (Re)arm the one timer a pending command has: queue expiry, or reply/confirm deadline — on the
   * node that owns the device's shard only.
   */
  arm(p: Pending): void {
    p.cancelTimer?.();
    p.cancelTimer = undefined;
    const { rec } = p;
    const at = rec.status === 'queued' ? rec.expiresAt : rec.deadline;
    if (at === null || !this.d.ownership.owns(rec.deviceId)) return;
    p.cancelTimer = this.d.clock.setTimer(Math.max(0, at - this.d.clock.now()), () => {
      // Lost the shard since arming: its new owner has (re)loaded the deadline.
      if (this.map.get(rec.id) !== p || !this.d.ownership.owns(rec.deviceId)) return;
      this.d.onDue(p);
    });
  }

  /** Hold a stored pending command and arm its deadline (if this node owns it). */
  adopt(rec: CommandRecord): Pending {
    const held = this.map.get(rec.id);
    if (held) {
      Object.assign(held.rec, rec);
      held.stored = rec.status;
      this.arm(held);
      return held;
    }
    const p: Pending = { rec, stored: rec.status, origin: 'owner', writes: Promise.resolve() };
    this.map.set(rec.id, p);
    this.arm(p);
    return p;
  }

  /** A deadline this node set but does not own: the owner loads it from the store (already written). */
  handOver(p: Pending): void {
    if (!this.d.ownership.owns(p.rec.deviceId))
      this.d.events.publish('command.scheduled', { commandId: p.rec.id, deviceId: p.rec.deviceId });
  }

  /** Replace the in-memory copy with the store's: drop it if final, else re-arm. */
  async reload(p: Pending): Promise<void> {
    const fresh = await this.d.store.get(p.rec.id);
    if (this.map.get(p.rec.id) !== p) return;
    if (!fresh || FINAL_STATUSES.includes(fresh.status)) this.drop(p, fresh);
    else this.adopt(fresh);
  }

  answerWaiters(rec: CommandRecord): void {
    const set = this.waiters.get(rec.id);
    this.waiters.delete(rec.id);
    for (const w of set ?? []) w({ ...rec });
  }

  private drop(p: Pending, final: CommandRecord | undefined): void {
    p.cancelTimer?.();
    this.map.delete(p.rec.id);
    if (final) Object.assign(p.rec, final);
    this.answerWaiters(p.rec);
  }

  private onOwnershipChange(c: OwnershipChange): void {
    const lost = new Set(c.lost);
    for (const p of [...this.map.values()]) {
      if (!lost.has(this.d.ownership.shardOf(p.rec.deviceId))) continue;
      p.cancelTimer?.();
      p.cancelTimer = undefined;
      if (p.origin === 'owner') this.drop(p, undefined);
    }
    if (c.gained.length) {
      const gained = new Set(c.gained);
      this.reloadOwned((deviceId) => gained.has(this.d.ownership.shardOf(deviceId)));
    }
  }

  /** Load pending commands of owned devices matching `which` from the store and arm them. */
  private reloadOwned(which: (deviceId: string) => boolean): void {
    this.d.store.pending().then(
      (recs) => {
        for (const rec of recs)
          if (which(rec.deviceId) && this.d.ownership.owns(rec.deviceId)) this.adopt(rec);
      },
      (err: unknown) => this.d.log.error({ err }, 'pending commands could not be reloaded'),
    );
  }

  private onScheduled(commandId: string, deviceId: string): void {
    if (!this.d.ownership.owns(deviceId)) return;
    this.d.store.get(commandId).then(
      (rec) => {
        if (rec && !FINAL_STATUSES.includes(rec.status) && this.d.ownership.owns(deviceId)) this.adopt(rec);
      },
      (err: unknown) => this.d.log.error({ err, commandId }, 'scheduled command could not be loaded'),
    );
  }

  /** Finished on another node: drop this node's copy, answer its long polls with the outcome. */
  private onSettled(commandId: string): void {
    const p = this.map.get(commandId);
    if (!p) return;
    this.reload(p).catch((err: unknown) =>
      this.d.log.error({ err, commandId }, 'settled command could not be reloaded'),
    );
  }

  /** Events may have been missed: re-check every copy, and reload everything owned. */
  private resync(): void {
    for (const p of [...this.map.values()])
      this.reload(p).catch((err: unknown) =>
        this.d.log.error({ err, commandId: p.rec.id }, 'command could not be reloaded'),
      );
    this.reloadOwned(() => true);
  }
}
