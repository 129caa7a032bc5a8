/**
 * The health engine: heartbeat deadlines, hardware-error thresholds and the service state of every
 * tracked device, held in memory (one small record per device) and persisted in batches.
 *
 * Deadlines: a device's deadline is last sign of life + interval + grace. Deadlines live in a
 * 250 ms-bucket timer wheel with one clock timer for the earliest bucket (see deadline-wheel.ts).
 * A missed deadline emits `heartbeat.checked` (received: false), takes the device out with
 * `heartbeat_lost` (timestamped at the deadline, not at detection), and re-arms one interval later
 * so every further missed interval is counted for the SLO engine.
 *
 * Restart rule (persisted last-seen, see `start()`): a deadline that passed while the engine was
 * running (before `aliveAt`, the last flush) is applied at once; a deadline that passed while the
 * platform was down gets a start-up grace (default: the device's own interval + grace) so a fleet
 * that reconnects after an outage does not flap out of service; a device still silent after it goes
 * out with `since` = its original deadline (lastSeen + interval + grace).
 */
import type { Clock } from '../core/clock.js';
import type { DeviceDirectory, HeartbeatPolicy } from '../core/devices.js';
import type { Actor, EventBus, ServiceState } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { DeadlineWheel } from './deadline-wheel.js';
import { recordOccurrence } from './error-window.js';
import type { FleetDevice } from './fleet-view.js';
import type { HealthStore, StateChange } from './health-store.js';
import { effectiveHeartbeat, type HealthPolicy } from './policy.js';
import { applyCommand, hardwareReason, HEARTBEAT_LOST, type StateCommand } from './service-state.js';

export interface TrackedDevice extends FleetDevice {
  hb: HeartbeatPolicy | undefined;
  /** When tracking began (deadline base for a device never seen). */
  trackedAt: number;
  /** When the wheel should next look at this device (Infinity: nothing to check). */
  checkAt: number;
  /** True while connected, for `signOfLife: connection`. */
  connected: boolean;
  /** Last `heartbeat.checked` received:true emission (at most one per half interval). */
  lastChecked: number;
  errors: Map<string, number[]> | undefined;
}

export interface HealthEngineOptions {
  clock: Clock;
  bus: EventBus;
  log: Logger;
  store: HealthStore;
  /** Resolves device and model info; optional in benchmarks (devices are then tracked directly). */
  directory?: DeviceDirectory;
  /** Publish the retained `$fleet/devices/{id}/service-state` message. */
  publish?: (deviceId: string, payload: string) => void;
  /** How often last-seen times are written (one transaction per flush). Default 5 s. */
  flushIntervalMs?: number;
  /** Start-up grace for deadlines that passed while the platform was down. Default: interval + grace. */
  startupGraceMs?: number;
}

const SYSTEM: Actor = { kind: 'system', id: 'health' };
const ALIVE_KEY = 'alive_at';
const MODEL_REFRESH_MS = 60_000;

export class HealthEngine {
  readonly devices = new Map<string, TrackedDevice>();
  readonly policies = new Map<string, HealthPolicy>();
  private readonly modelHeartbeat = new Map<string, HeartbeatPolicy | undefined>();
  private readonly wheel = new DeadlineWheel();
  private dirtySeen = new Set<string>();
  private pending: StateChange[] = [];
  private stateFlush: Promise<void> | undefined;
  private seenFlush: Promise<void> = Promise.resolve();
  private armedAt = Infinity;
  private cancelTimer: (() => void) | undefined;
  private cancelFlush: (() => void) | undefined;
  private cancelModels: (() => void) | undefined;
  private readonly lookups = new Set<string>();
  private readonly unknown = new Map<string, number>();
  private stopped = false;
  /** Delay between a deadline and the state change it caused (for the benchmark and metrics). */
  onExpired?: (deadline: number, now: number) => void;

  constructor(private readonly o: HealthEngineOptions) {}

  // ── lifecycle ────────────────────────────────────────────────────────────────────────────

  /** Load policies and persisted state, track the directory's devices, apply the restart rule. */
  async start(): Promise<void> {
    for (const p of await this.o.store.listPolicies()) this.policies.set(p.model, p);
    const rows = new Map((await this.o.store.loadDevices()).map((r) => [r.deviceId, r]));
    const aliveAt = (await this.o.store.getMeta(ALIVE_KEY)) ?? 0;
    const now = this.o.clock.now();
    if (this.o.directory)
      for await (const info of this.o.directory.listDevices()) {
        const row = rows.get(info.id);
        const d = this.track(info.id, info.model, info.tags, await this.heartbeatFor(info.model), {
          state: row && row.since > 0 ? row.state : 'in_service',
          reasons: row && row.since > 0 ? row.reasons : [],
          since: row?.since ?? 0,
          lastSeen: row?.lastSeen ?? null,
          arm: false,
        });
        this.applyRestartRule(d, now, aliveAt);
      }
    this.armTimer();
    this.scheduleSeenFlush();
    this.scheduleModelRefresh();
  }

  /** Re-read model heartbeat policies (the registry emits no event when a model changes). */
  async refreshModels(): Promise<void> {
    if (!this.o.directory) return;
    for (const [name, before] of [...this.modelHeartbeat]) {
      const hb = (await this.o.directory.getModel(name))?.heartbeat;
      if (JSON.stringify(hb) !== JSON.stringify(before)) await this.reloadPolicies(name);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelFlush?.();
    this.cancelModels?.();
    await this.flush();
  }

  /** Wait until every state change and last-seen time so far is written. */
  async flush(): Promise<void> {
    this.flushSeen();
    await this.seenFlush;
    while (this.stateFlush || this.pending.length > 0) {
      if (!this.stateFlush) this.scheduleStateFlush();
      await this.stateFlush;
    }
  }

  // ── tracking ─────────────────────────────────────────────────────────────────────────────

  /** Start tracking a device (or update its model/tags). Benchmarks call this directly. */
  track(
    id: string,
    model: string | null,
    tags: string[],
    hb: HeartbeatPolicy | undefined,
    init: {
      state?: ServiceState;
      reasons?: string[];
      since?: number;
      lastSeen?: number | null;
      arm?: boolean;
    } = {},
  ): TrackedDevice {
    const now = this.o.clock.now();
    const existing = this.devices.get(id);
    if (existing) {
      existing.model = model;
      existing.tags = tags;
      this.setHeartbeat(existing, hb);
      return existing;
    }
    const d: TrackedDevice = {
      id,
      model,
      tags,
      hb,
      state: init.state ?? 'in_service',
      reasons: init.reasons ?? [],
      since: init.since ?? 0,
      lastSeen: init.lastSeen ?? 0,
      trackedAt: now,
      checkAt: Infinity,
      connected: false,
      lastChecked: -Infinity,
      errors: undefined,
    };
    this.devices.set(id, d);
    if (init.arm !== false && hb) this.arm(d, (d.lastSeen || now) + hb.intervalMs + hb.graceMs);
    return d;
  }

  untrack(id: string): void {
    this.devices.delete(id);
    this.dirtySeen.delete(id);
  }

  /** Resolve a device from the directory and track it (device.changed, first sign of life). */
  async refreshDevice(id: string): Promise<TrackedDevice | undefined> {
    const info = await this.o.directory?.getDevice(id);
    if (!info) {
      this.untrack(id);
      return undefined;
    }
    return this.track(info.id, info.model, info.tags, await this.heartbeatFor(info.model));
  }

  async heartbeatFor(model: string | null): Promise<HeartbeatPolicy | undefined> {
    if (model === null) return undefined;
    if (!this.modelHeartbeat.has(model))
      this.modelHeartbeat.set(model, (await this.o.directory?.getModel(model))?.heartbeat);
    return effectiveHeartbeat(this.modelHeartbeat.get(model), this.policies.get(model)?.heartbeat);
  }

  /** Forget cached model heartbeat policies (a model changed); re-resolve every tracked device. */
  async reloadPolicies(model?: string): Promise<void> {
    if (model === undefined) this.modelHeartbeat.clear();
    else this.modelHeartbeat.delete(model);
    for (const d of this.devices.values())
      if (model === undefined || d.model === model) this.setHeartbeat(d, await this.heartbeatFor(d.model));
  }

  // ── inputs ───────────────────────────────────────────────────────────────────────────────

  /**
   * The hot path: a sign of life at `at`. `via` says what it was; the device's policy decides
   * whether it counts. Unknown devices are looked up once in the directory.
   */
  signOfLife(id: string, at: number, via: 'heartbeat' | 'message' | 'connected' | 'disconnected'): void {
    const d = this.devices.get(id);
    if (!d) {
      this.lookupUnknown(id, at, via);
      return;
    }
    const hb = d.hb;
    const counts =
      hb === undefined ||
      hb.signOfLife === 'connection' ||
      via === 'heartbeat' ||
      (via === 'message' && hb.signOfLife === 'any_message');
    if (!counts) return;
    if (at > d.lastSeen) {
      d.lastSeen = at;
      this.dirtySeen.add(id);
    }
    if (!hb) return;
    if (hb.signOfLife === 'connection') {
      if (via === 'connected') d.connected = true;
      if (via === 'disconnected') d.connected = false;
    }
    const silenced = d.state === 'maintenance' || d.state === 'retired';
    if (!silenced && at - d.lastChecked >= hb.intervalMs / 2) {
      d.lastChecked = at;
      this.o.bus.emit('heartbeat.checked', { deviceId: id, ...this.modelOf(d), at, received: true });
    }
    if (d.reasons.includes(HEARTBEAT_LOST))
      this.apply(d, { kind: 'remove-reason', reason: HEARTBEAT_LOST }, at, SYSTEM, `sign of life (${via})`);
    this.arm(d, d.connected ? Infinity : at + hb.intervalMs + hb.graceMs);
  }

  /** A hardware error or other coded event: counts toward the model's thresholds. */
  deviceEvent(id: string, code: string, at: number): void {
    const d = this.devices.get(id);
    if (!d || d.model === null || d.state === 'maintenance' || d.state === 'retired') return;
    const t = this.policies.get(d.model)?.errorThresholds.find((x) => x.code === code);
    if (!t) return;
    d.errors ??= new Map();
    let w = d.errors.get(code);
    if (!w) d.errors.set(code, (w = []));
    if (!recordOccurrence(w, at, t.threshold, t.windowMs)) return;
    if (t.action === 'out_of_service')
      this.apply(
        d,
        { kind: 'add-reason', reason: hardwareReason(code) },
        at,
        SYSTEM,
        `${t.threshold} × ${code} within ${t.windowMs} ms`,
      );
    this.o.bus.emit('health.alert', {
      deviceId: id,
      ...this.modelOf(d),
      kind: 'hardware_error',
      code,
      severity: t.severity,
      count: t.threshold,
      windowMs: t.windowMs,
      action: t.action,
      at,
    });
  }

  flapping(id: string, at: number, connects: number, windowMs: number): void {
    const d = this.devices.get(id);
    if (!d || d.state === 'maintenance' || d.state === 'retired') return;
    const min = (d.model !== null ? this.policies.get(d.model)?.flappingMinConnects : undefined) ?? 0;
    if (connects < min) return;
    this.o.bus.emit('health.alert', {
      deviceId: id,
      ...this.modelOf(d),
      kind: 'flapping',
      code: 'flapping',
      severity: 'warning',
      count: connects,
      windowMs,
      action: 'alert_only',
      at,
    });
  }

  /** A person's change (PUT service-state). Throws on an invalid reason; returns false when nothing changed. */
  setState(id: string, state: ServiceState, actor: Actor, note: string, reason?: string): boolean {
    const d = this.devices.get(id);
    if (!d) return false;
    const cmd: StateCommand = reason === undefined ? { kind: 'set', state } : { kind: 'set', state, reason };
    const changed = this.apply(d, cmd, this.o.clock.now(), actor, note);
    // Back in service by hand: give the device a fresh deadline rather than an instant heartbeat_lost.
    if (changed && d.hb && (state === 'in_service' || state === 'out_of_service'))
      this.arm(
        d,
        Math.max(d.checkAt === Infinity ? 0 : d.checkAt, this.o.clock.now() + d.hb.intervalMs + d.hb.graceMs),
      );
    return changed;
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  private applyRestartRule(d: TrackedDevice, now: number, aliveAt: number): void {
    const hb = d.hb;
    if (!hb || d.state === 'maintenance' || d.state === 'retired') return;
    const deadline = (d.lastSeen || now) + hb.intervalMs + hb.graceMs;
    if (d.reasons.includes(HEARTBEAT_LOST) || deadline > now) {
      this.arm(d, Math.max(deadline, now + (d.reasons.includes(HEARTBEAT_LOST) ? hb.intervalMs : 0)));
      return;
    }
    if (deadline <= aliveAt) {
      this.expire(d, deadline, now);
      return;
    }
    const grace = this.o.startupGraceMs ?? hb.intervalMs + hb.graceMs;
    this.arm(d, now + grace);
  }

  private setHeartbeat(d: TrackedDevice, hb: HeartbeatPolicy | undefined): void {
    const before = d.hb;
    d.hb = hb;
    if (!hb) {
      d.checkAt = Infinity;
      return;
    }
    if (before?.intervalMs !== hb.intervalMs || before.graceMs !== hb.graceMs || d.checkAt === Infinity)
      this.arm(d, (d.lastSeen || this.o.clock.now()) + hb.intervalMs + hb.graceMs);
  }

  private arm(d: TrackedDevice, at: number): void {
    const old = d.checkAt;
    d.checkAt = at;
    if (at === Infinity) return;
    if (old !== Infinity && DeadlineWheel.keyOf(old) === DeadlineWheel.keyOf(at)) return;
    this.wheel.add(d.id, at);
    if (DeadlineWheel.timeOf(DeadlineWheel.keyOf(at)) < this.armedAt) this.armTimer();
  }

  private armTimer(): void {
    if (this.stopped) return;
    const due = this.wheel.nextDue();
    if (due === undefined || due === this.armedAt) return;
    this.cancelTimer?.();
    this.armedAt = due;
    this.cancelTimer = this.o.clock.setTimer(Math.max(0, due - this.o.clock.now()), () => this.onTimer());
  }

  private onTimer(): void {
    this.armedAt = Infinity;
    this.cancelTimer = undefined;
    const now = this.o.clock.now();
    for (const bucket of this.wheel.takeDue(now))
      for (const id of bucket) {
        const d = this.devices.get(id);
        // Stale wheel entries (the deadline moved on) are skipped here: lazy invalidation.
        if (!d || d.checkAt > now || !d.hb) continue;
        this.expire(d, d.checkAt, now);
      }
    this.armTimer();
  }

  /** A missed interval: count it, take the device out (once), look again one interval later. */
  private expire(d: TrackedDevice, due: number, now: number): void {
    const hb = d.hb!;
    const silenced = d.state === 'maintenance' || d.state === 'retired';
    if (!silenced) {
      this.o.bus.emit('heartbeat.checked', { deviceId: d.id, ...this.modelOf(d), at: due, received: false });
      if (!d.reasons.includes(HEARTBEAT_LOST)) {
        const deadline = (d.lastSeen || d.trackedAt) + hb.intervalMs + hb.graceMs;
        const at = Math.min(Math.max(deadline, d.since), now);
        this.apply(d, { kind: 'add-reason', reason: HEARTBEAT_LOST }, at, SYSTEM, undefined);
        this.onExpired?.(due, now);
      }
    }
    d.checkAt = Infinity;
    this.arm(d, silenced ? Infinity : Math.max(due, now) + hb.intervalMs);
  }

  private apply(
    d: TrackedDevice,
    cmd: StateCommand,
    at: number,
    actor: Actor,
    note: string | undefined,
  ): boolean {
    const next = applyCommand(d, cmd);
    if (!next) return false;
    const from = d.state;
    if (next.state !== from) d.since = at;
    d.state = next.state;
    d.reasons = next.reasons;
    const change: StateChange = {
      deviceId: d.id,
      at,
      from,
      to: next.state,
      reasons: next.reasons,
      actor,
      since: d.since,
    };
    if (note !== undefined) change.note = note;
    this.pending.push(change);
    this.scheduleStateFlush();
    this.o.bus.emit('service-state.changed', {
      deviceId: d.id,
      ...this.modelOf(d),
      from,
      to: next.state,
      reasons: next.reasons,
      at,
      actor,
      ...(note !== undefined ? { note } : {}),
    });
    this.o.publish?.(
      d.id,
      JSON.stringify({
        deviceId: d.id,
        state: d.state,
        reasons: d.reasons,
        since: d.since,
        at,
        actor,
        ...(note !== undefined ? { note } : {}),
      }),
    );
    return true;
  }

  private modelOf(d: TrackedDevice): { model?: string } {
    return d.model === null ? {} : { model: d.model };
  }

  private lookupUnknown(
    id: string,
    at: number,
    via: 'heartbeat' | 'message' | 'connected' | 'disconnected',
  ): void {
    if (!this.o.directory || this.lookups.has(id)) return;
    // Unregistered clients are looked up at most once a minute.
    const missedAt = this.unknown.get(id);
    if (missedAt !== undefined && at - missedAt < 60_000) return;
    this.lookups.add(id);
    void this.refreshDevice(id)
      .then((d) => {
        if (d) {
          this.unknown.delete(id);
          this.signOfLife(id, at, via);
        } else if (this.unknown.size < 100_000) this.unknown.set(id, at);
      })
      .catch((err: unknown) => this.o.log.warn({ err, deviceId: id }, 'health: device lookup failed'))
      .finally(() => this.lookups.delete(id));
  }

  private scheduleStateFlush(): void {
    if (this.stateFlush) return;
    this.stateFlush = Promise.resolve().then(async () => {
      try {
        while (this.pending.length > 0) {
          const batch = this.pending;
          this.pending = [];
          await this.o.store.saveTransitions(batch);
        }
      } catch (err) {
        this.o.log.error({ err }, 'health: saving service-state transitions failed');
      } finally {
        this.stateFlush = undefined;
      }
    });
  }

  private scheduleModelRefresh(): void {
    if (this.stopped || !this.o.directory) return;
    this.cancelModels = this.o.clock.setTimer(MODEL_REFRESH_MS, () => {
      this.refreshModels()
        .catch((err: unknown) => this.o.log.warn({ err }, 'health: refreshing model policies failed'))
        .finally(() => this.scheduleModelRefresh());
    });
  }

  private scheduleSeenFlush(): void {
    if (this.stopped) return;
    this.cancelFlush = this.o.clock.setTimer(this.o.flushIntervalMs ?? 5000, () => {
      this.flushSeen();
      this.scheduleSeenFlush();
    });
  }

  private flushSeen(): void {
    const ids = this.dirtySeen;
    this.dirtySeen = new Set();
    const batch: { deviceId: string; lastSeen: number }[] = [];
    for (const id of ids) {
      const d = this.devices.get(id);
      if (d) batch.push({ deviceId: id, lastSeen: d.lastSeen });
    }
    const now = this.o.clock.now();
    const store = this.o.store;
    this.seenFlush = this.seenFlush
      .then(async () => {
        await store.saveLastSeen(batch);
        await store.setMeta(ALIVE_KEY, now);
      })
      .catch((err: unknown) => this.o.log.error({ err }, 'health: saving last-seen times failed'));
  }
}
