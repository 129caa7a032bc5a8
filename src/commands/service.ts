/**
 * The command lifecycle (see types.ts for the states). Every transition is written to the store
 * before it is announced, and `start()` reloads queued/sent/acknowledged commands and re-arms
 * their deadlines, so timeouts and queues survive a restart. All timers come from the injected
 * clock.
 *
 * Several nodes (docs/cluster.md): a node holds in memory the commands it created and those whose
 * device's shard it owns (`ownership.owns(deviceId)`); only the owner arms deadlines. A node that
 * sets a deadline it does not own tells the owner (`command.scheduled`); the owner loads shards it
 * gains from the store. Every store write is a compare-and-set on the status the node last saw,
 * so a reply on one node and a timeout on another cannot both finish a command: the loser reloads
 * and the winner alone emits `command.finished` (then `command.settled` lets others drop copies).
 */
import {
  activeContext,
  type Actor,
  type Clock,
  type Context,
  type ClusterEvents,
  COMMAND_REPLY_FILTER,
  type CommandStatus,
  type DeviceDirectory,
  type EventBus,
  inSpan,
  type Logger,
  type OutOfServiceCommands,
  type Ownership,
  singleNodeEvents,
  singleNodeOwnership,
  type TsunaguEvents,
} from '../core/index.js';
import type { BrokerApi, BrokerMessage } from '../mqtt/index.js';
import { CommandErrors } from './errors.js';
import { getPath, jsonEqual, type CommandPresence } from './confirm.js';
import { droppedForDevice, publishCommand } from './publish-command.js';
import { outOfServicePolicy, type CommandWarning, type ServiceStateLookup } from './out-of-service.js';
import { outcomeTraced, replyTraced, startCommandSpan } from './trace.js';
import { newCommandRecord } from './new-record.js';
import { PendingCommands, type Pending } from './pending.js';
import type { CommandStore, ListQuery, StatsFilter } from './commands-store.js';
import { computeStats, type CommandStats } from './stats.js';
import { FINAL_STATUSES, type CommandRecord, type CommandReply, type CreateCommandRequest } from './types.js';

export { DEFAULT_EXPIRES_IN_MS, DEFAULT_TIMEOUT_MS } from './new-record.js';
/**
 * Queued commands go out this long after the device connects: a device with a clean session
 * subscribes to its command topic only after CONNACK, and a publish before that would be lost.
 */
export const DEFAULT_CONNECT_DELAY_MS = 500;
/** Long polls (`wait: true`) wait this long past the command's deadline before answering anyway. */
const WAIT_GRACE_MS = 1000;

export type ReadReported = (
  deviceId: string,
  shadowName: string,
) => Promise<Record<string, unknown> | undefined>;

export interface CommandServiceDeps {
  store: CommandStore;
  broker: BrokerApi;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  directory: DeviceDirectory;
  /** Current reported shadow state (from the shadows module); optional. */
  readReported?: ReadReported;
  /** True when the client is anonymous (its id is not tied to a device). */
  isAnonymous?: (clientId: string) => boolean;
  /** Delay between a device connecting and its queued commands being sent (default 500 ms). */
  connectDelayMs?: number;
  /** Which node runs a device's command deadlines (shard key: device id). Default: this one. */
  ownership?: Ownership;
  /** Hand-offs between nodes (`command.scheduled`, `command.settled`). Default: local only. */
  events?: ClusterEvents;
  /**
   * Is the device connected, on any node (the registry's presence). Default: this node's broker
   * — right for one node only. With it, a command sent through any node goes out through the
   * fan-out to wherever the device is connected, and queued ones leave when it connects anywhere.
   */
  presence?: CommandPresence;
  /** The device's service state (health's); without it the out-of-service policy is off. */
  serviceState?: ServiceStateLookup;
  /** What to do with commands to out-of-service devices when the model says nothing (default warn). */
  outOfServiceCommands?: OutOfServiceCommands;
}

export type { CommandPresence } from './confirm.js';
export type { CommandWarning, ServiceStateLookup } from './out-of-service.js';

export { commandTopic } from './publish-command.js';

export class CommandService {
  private readonly held: PendingCommands;
  private readonly pending: Map<string, Pending>;
  private readonly waiters: Map<string, Set<(rec: CommandRecord) => void>>;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly ownership: Ownership;

  constructor(private readonly deps: CommandServiceDeps) {
    this.ownership = deps.ownership ?? singleNodeOwnership();
    this.held = new PendingCommands({
      store: deps.store,
      clock: deps.clock,
      log: deps.log,
      ownership: this.ownership,
      events: deps.events ?? singleNodeEvents(deps.log),
      onDue: (p) => this.onDue(p),
    });
    this.pending = this.held.map;
    this.waiters = this.held.waiters;
  }

  /** Commands this node holds in memory (no outcome yet). */
  get heldCount(): number {
    return this.pending.size;
  }

  /** Whether this node holds the command in memory, and runs its deadline (diagnostics and tests). */
  holds(id: string): { armed: boolean } | undefined {
    const p = this.pending.get(id);
    return p && { armed: p.cancelTimer !== undefined };
  }

  /** Subscribe to replies and bus events, reload pending commands and re-arm their timers. */
  async start(): Promise<void> {
    const { broker, bus } = this.deps;
    this.unsubscribe.push(
      broker.subscribe(COMMAND_REPLY_FILTER, (m) =>
        this.onReply(m).catch((err: unknown) =>
          this.deps.log.error({ err, topic: m.topic }, 'command reply could not be processed'),
        ),
      ),
    );
    this.unsubscribe.push(bus.on('device.connected', (e) => this.onConnected(e.deviceId)));
    // Connected on another node (this node's own connects come as device.connected above).
    const presence = this.deps.presence;
    if (presence)
      this.unsubscribe.push(
        presence.onChange((c) => {
          if (c.online && c.cause === 'notice') this.onConnected(c.deviceId);
        }),
      );
    this.unsubscribe.push(bus.on('shadow.updated', (e) => this.onShadowUpdated(e)));
    this.unsubscribe.push(...this.held.listen());
    for (const rec of await this.deps.store.pending()) {
      if (!this.ownership.owns(rec.deviceId)) continue;
      const p = this.held.adopt(rec);
      if (rec.status === 'acknowledged') void this.checkConfirmed(p);
    }
    for (const p of [...this.pending.values()])
      if (p.rec.status === 'queued' && this.isOnline(p.rec.deviceId)) this.deliverLater(p);
  }

  stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    for (const p of this.pending.values()) {
      p.cancelTimer?.();
      // Long polls answer with the current state; the command itself stays pending in the store.
      for (const w of this.waiters.get(p.rec.id) ?? []) w({ ...p.rec });
    }
    this.pending.clear();
    this.waiters.clear();
    return Promise.resolve();
  }

  // ---- create -------------------------------------------------------------------------------

  /**
   * Create (or, for a repeated idempotency key, return) a command. `created` is false for a repeat.
   * `parent`: the trace the command's span joins (an HTTP request's), taken before any await.
   */
  async create(
    deviceId: string,
    req: CreateCommandRequest,
    actor: Actor,
    parent: Context = activeContext(),
  ): Promise<{ record: CommandRecord; created: boolean; warnings: CommandWarning[] }> {
    const steps = this.deps;
    const device = await steps.directory.getDevice(deviceId);
    if (!device) throw CommandErrors.deviceNotFound(deviceId);
    if (req.idempotencyKey !== undefined) {
      const existing = await steps.store.byIdempotencyKey(deviceId, req.idempotencyKey);
      if (existing) return { record: this.current(existing), created: false, warnings: [] };
    }
    const warnings = await outOfServicePolicy(steps, deviceId, device.model);
    const rec = newCommandRecord(deviceId, device.model, req, actor, steps.clock.now());
    const inserted = await steps.store.insert(rec);
    if (!inserted.created) return { record: this.current(inserted.record), created: false, warnings };
    const span = startCommandSpan(rec, parent);
    const p: Pending = { rec, stored: rec.status, origin: 'created', writes: Promise.resolve(), span };
    this.pending.set(rec.id, p);
    if (this.isOnline(deviceId)) await inSpan(span, () => this.deliver(p));
    else if (rec.offline === 'reject')
      await this.finish(p, 'rejected', {
        errorCode: 'DEVICE_OFFLINE',
        errorMessage: `device ${deviceId} is not connected`,
      });
    else {
      this.held.arm(p);
      this.held.handOver(p);
    }
    return { record: { ...p.rec }, created: true, warnings };
  }

  /** The in-memory state of a pending command is newer than a stored copy. */
  private current(rec: CommandRecord): CommandRecord {
    const p = this.pending.get(rec.id);
    return p ? { ...p.rec } : rec;
  }

  // ---- transitions ----------------------------------------------------------------------------

  private onDue(p: Pending): void {
    const { rec } = p;
    const status: CommandStatus = rec.status === 'queued' ? 'expired' : 'timed_out';
    void this.finish(p, status, {
      errorCode: status === 'expired' ? 'EXPIRED' : 'TIMEOUT',
      errorMessage:
        status === 'expired'
          ? 'the device did not connect before the command expired'
          : rec.status === 'acknowledged'
            ? 'the reported state did not confirm the command in time'
            : 'no reply from the device in time',
    });
  }

  /** Publish the command to the device (QoS 1; MQTT 5 gets responseTopic + correlationData). */
  private async deliver(p: Pending): Promise<void> {
    const { rec } = p;
    if (rec.status !== 'queued') return;
    const now = this.deps.clock.now();
    rec.status = 'sent';
    rec.sentAt = now;
    rec.deadline = now + rec.timeoutMs;
    this.held.arm(p);
    if (!(await this.held.persist(p))) {
      // Expired or delivered elsewhere meanwhile: the store's version stands; do not publish.
      await this.held.reload(p);
      return;
    }
    this.held.handOver(p);
    let dropped: string | undefined;
    try {
      dropped = droppedForDevice(rec, await publishCommand(this.deps.broker, rec, p.span));
    } catch (err) {
      this.deps.log.warn({ err, commandId: rec.id }, 'command delivery failed');
      await this.finish(p, 'failed', {
        errorCode: 'DELIVERY_FAILED',
        errorMessage: 'the broker could not deliver the command',
      });
      return;
    }
    if (dropped !== undefined) {
      this.deps.log.warn({ commandId: rec.id, reason: dropped }, 'command dropped by the broker');
      await this.finish(p, 'failed', {
        errorCode: 'DELIVERY_DROPPED',
        errorMessage: `the broker dropped the command for the device: ${dropped.replace('_', ' ')}`,
      });
    }
  }

  private deliverLater(p: Pending): void {
    inSpan(p.span, () => this.deliver(p)).catch((err: unknown) =>
      this.deps.log.error({ err, commandId: p.rec.id }, 'command delivery could not be stored'),
    );
  }

  private async finish(
    p: Pending,
    status: CommandStatus,
    extra: { errorCode?: string; errorMessage?: string } = {},
  ): Promise<void> {
    const { rec } = p;
    if (FINAL_STATUSES.includes(rec.status)) return;
    p.cancelTimer?.();
    this.pending.delete(rec.id);
    const before = { ...rec };
    rec.status = status;
    rec.finishedAt = this.deps.clock.now();
    if (extra.errorCode !== undefined) rec.errorCode = extra.errorCode;
    if (extra.errorMessage !== undefined) rec.errorMessage = extra.errorMessage;
    try {
      if (!(await this.held.persist(p))) {
        // Another node moved it first: its outcome (or newer deadline) stands, nothing is emitted here.
        Object.assign(rec, before);
        this.pending.set(rec.id, p);
        await this.held.reload(p);
        return;
      }
    } catch (err) {
      this.deps.log.error({ err, commandId: rec.id }, 'command outcome could not be stored');
    }
    const event: TsunaguEvents['command.finished'] = {
      commandId: rec.id,
      deviceId: rec.deviceId,
      name: rec.name,
      status,
      requestedAt: rec.requestedAt,
      finishedAt: rec.finishedAt,
      ...(rec.model === null ? {} : { model: rec.model }),
      ...(rec.replyLatencyMs === null ? {} : { replyLatencyMs: rec.replyLatencyMs }),
      ...(rec.confirmLatencyMs === null ? {} : { confirmLatencyMs: rec.confirmLatencyMs }),
    };
    outcomeTraced(p, () => this.deps.bus.emit('command.finished', event));
    this.held.events.publish('command.settled', { commandId: rec.id, deviceId: rec.deviceId });
    this.held.answerWaiters(rec);
  }

  // ---- inputs ----------------------------------------------------------------------------------

  private onConnected(deviceId: string): void {
    this.deps.clock.setTimer(this.deps.connectDelayMs ?? DEFAULT_CONNECT_DELAY_MS, () =>
      this.deliverQueued(deviceId),
    );
  }

  private deliverQueued(deviceId: string): void {
    if (!this.isOnline(deviceId)) return;
    const queued = [...this.pending.values()]
      .filter((p) => p.rec.deviceId === deviceId && p.rec.status === 'queued')
      .sort((a, b) => a.rec.requestedAt - b.rec.requestedAt);
    for (const p of queued) this.deliverLater(p);
  }

  /** A device reply on `devices/{id}/commands/{name}/reply`; matched by correlationData or `id`. */
  private async onReply(msg: BrokerMessage): Promise<void> {
    const parts = msg.topic.split('/');
    const deviceId = parts[1]!;
    const name = parts[3]!;
    if (msg.clientId !== undefined && msg.clientId !== deviceId && !this.deps.isAnonymous?.(msg.clientId)) {
      this.deps.log.warn(
        { clientId: msg.clientId, topic: msg.topic },
        'command reply from another client ignored',
      );
      return;
    }
    let body: Partial<CommandReply>;
    try {
      const parsed = JSON.parse(msg.payload.toString('utf8')) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      body = parsed;
    } catch {
      this.deps.log.warn({ topic: msg.topic }, 'command reply is not a JSON object');
      return;
    }
    const id =
      msg.properties?.correlationData?.toString('utf8') ??
      (typeof body.id === 'string' ? body.id : undefined);
    const p = id === undefined ? undefined : (this.pending.get(id) ?? (await this.loadForReply(id)));
    if (!p || p.rec.deviceId !== deviceId || p.rec.name !== name || p.rec.status !== 'sent') {
      this.deps.log.debug({ topic: msg.topic, id }, 'reply for no pending command');
      return;
    }
    if (body.status !== 'ok' && body.status !== 'error') {
      this.deps.log.warn({ topic: msg.topic, id }, 'command reply without status "ok" or "error"');
      return;
    }
    await replyTraced(p, msg, () => this.acceptReply(p, body));
  }

  private async acceptReply(p: Pending, body: Partial<CommandReply>): Promise<void> {
    const { rec } = p;
    const now = this.deps.clock.now();
    rec.repliedAt = now;
    rec.replyLatencyMs = now - rec.requestedAt;
    rec.result = body.result ?? null;
    if (body.status === 'error') {
      await this.finish(p, 'failed', {
        errorCode: typeof body.code === 'string' ? body.code : 'DEVICE_ERROR',
        errorMessage: typeof body.message === 'string' ? body.message : 'the device reported an error',
      });
      return;
    }
    if (!rec.confirm) {
      await this.finish(p, 'succeeded');
      return;
    }
    rec.status = 'acknowledged';
    if (!(await this.held.persist(p))) {
      await this.held.reload(p); // timed out on the owner meanwhile
      return;
    }
    await this.checkConfirmed(p);
  }

  /**
   * A reply arriving on a node that does not hold the command (the device is connected here, the
   * command was sent through another node): take it from the store. The compare-and-set writes
   * keep one outcome; `command.settled` tells the creator.
   */
  private async loadForReply(id: string): Promise<Pending | undefined> {
    const rec = await this.deps.store.get(id);
    if (!rec || rec.status !== 'sent') return undefined;
    return this.pending.get(id) ?? this.held.adopt(rec);
  }

  private isOnline(deviceId: string): boolean {
    const presence = this.deps.presence;
    return presence ? presence.isConnected(deviceId) : this.deps.broker.isConnected(deviceId);
  }

  private confirmNow(p: Pending): void {
    const now = this.deps.clock.now();
    p.rec.confirmLatencyMs = now - p.rec.requestedAt;
    void this.finish(p, 'succeeded');
  }

  /** At acknowledgement (or reload): the reported state may already match. */
  private async checkConfirmed(p: Pending): Promise<void> {
    const c = p.rec.confirm;
    if (!c || !this.deps.readReported) return;
    try {
      const reported = await this.deps.readReported(p.rec.deviceId, c.shadow);
      if (
        p.rec.status === 'acknowledged' &&
        this.pending.get(p.rec.id) === p &&
        jsonEqual(getPath(reported, c.path), c.equals)
      )
        this.confirmNow(p);
    } catch (err) {
      this.deps.log.warn({ err, commandId: p.rec.id }, 'reading the reported state failed');
    }
  }

  private onShadowUpdated(e: TsunaguEvents['shadow.updated']): void {
    for (const p of this.pending.values()) {
      const c = p.rec.confirm;
      if (p.rec.status !== 'acknowledged' || !c || p.rec.deviceId !== e.deviceId || c.shadow !== e.shadowName)
        continue;
      if (jsonEqual(getPath(e.reported, c.path), c.equals)) this.confirmNow(p);
    }
  }

  // ---- reads --------------------------------------------------------------------------------

  async get(id: string): Promise<CommandRecord> {
    const p = this.pending.get(id);
    if (p) return { ...p.rec };
    const rec = await this.deps.store.get(id);
    if (!rec) throw CommandErrors.notFound(id);
    return rec;
  }

  /** Resolve with the command once it is final, or with its current state after `ms`. */
  waitFor(id: string, ms: number): Promise<CommandRecord> {
    const p = this.pending.get(id);
    if (!p) return this.get(id); // already final (or unknown: 404)
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (!set) {
        set = new Set();
        this.waiters.set(id, set);
      }
      let cancel = (): void => undefined;
      const done = (r: CommandRecord): void => {
        cancel();
        resolve(r);
      };
      set.add(done);
      cancel = this.deps.clock.setTimer(ms, () => {
        this.waiters.get(id)?.delete(done);
        resolve({ ...p.rec });
      });
    });
  }

  /** How long a `wait: true` request may hold: until the deadline (or expiry) plus a little. */
  waitBudget(rec: CommandRecord): number {
    return rec.timeoutMs + WAIT_GRACE_MS;
  }

  list(deviceId: string, q: ListQuery): Promise<{ items: CommandRecord[]; total: number }> {
    return this.deps.store.listByDevice(deviceId, q).then((page) => ({
      ...page,
      items: page.items.map((r) => this.current(r)),
    }));
  }

  async stats(f: StatsFilter): Promise<CommandStats> {
    return computeStats(await this.deps.store.outcomes(f));
  }
}
