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
 * Restart rule: deadlines are judged only while the platform's listeners are open
 * (`listenersOpen()` … `listenersClosing()`, signalled by app.ts). A device cannot be late for a
 * time it could not reach us, so every deadline counts from max(last sign of life, listeners open):
 * after a restart no device's deadline is earlier than listeners-open + interval + grace, and no
 * `heartbeat.checked` (received: false) nor `heartbeat_lost` is ever timestamped in the downtime.
 * The downtime itself (last `alive_at` → listeners open) is recorded as platform downtime.
 */
import {
  type Actor,
  type DeviceLastSeen,
  type HeartbeatPolicy,
  type Ownership,
  type ServiceState,
  singleNodeOwnership,
} from '../core/index.js';
import { flappingAlert, thresholdAlert } from './alerts.js';
import { DeadlineTimer } from './deadline-timer.js';
import { ALIVE_KEY, CLOSED_KEY, EngineWriter } from './engine-writer.js';
import { recordOccurrence } from './error-window.js';
import type { PlatformDowntime } from './health-store.js';
import { countsAsSignOfLife, effectiveHeartbeat, signOfLifeAt, type HealthPolicy } from './policy.js';
import { hardwareReason, HEARTBEAT_LOST, type StateCommand } from './service-state.js';
import { applyChange, modelOf, type ChangeSinks } from './state-change.js';
import { applyConditionally } from './conditional-change.js';
import { UnknownDevices } from './unknown-devices.js';
import {
  SYSTEM,
  type HealthEngineOptions,
  type SignOfLifeVia,
  type TrackedDevice,
} from './tracked-device.js';

export type { HealthEngineOptions, TrackedDevice } from './tracked-device.js';

const MODEL_REFRESH_MS = 60_000;

export class HealthEngine {
  readonly devices = new Map<string, TrackedDevice>();
  readonly policies = new Map<string, HealthPolicy>();
  private readonly modelHeartbeat = new Map<string, HeartbeatPolicy | undefined>();
  private readonly timer: DeadlineTimer;
  private readonly writer: EngineWriter;
  private readonly sinks: ChangeSinks;
  private cancelModels: (() => void) | undefined;
  private readonly unknown: UnknownDevices;
  private stopped = false;
  /** When the listeners opened (Infinity before): no deadline counts from earlier. */
  private openAt = Infinity;
  private closing = false;
  /** Persisted at start: the last moment the previous run was known to listen, and its clean close. */
  private aliveAt = 0;
  private closedAt = 0;
  /** Delay between a deadline and the state change it caused (for the benchmark and metrics). */
  onExpired?: (deadline: number, now: number) => void;
  /** Which devices this node judges (docs/cluster.md; health-cluster.ts wires the hand-offs). */
  readonly ownership: Ownership;

  constructor(private readonly o: HealthEngineOptions) {
    this.ownership = o.ownership ?? singleNodeOwnership();
    this.timer = new DeadlineTimer(o.clock, (buckets, now) => this.onDue(buckets, now));
    this.writer = new EngineWriter(o.store, o.clock, o.log, o.flushIntervalMs);
    const peek = o.directory?.peekDevice?.bind(o.directory);
    const resolve = async (id: string): Promise<boolean> => (await this.refreshDevice(id)) !== undefined;
    this.unknown = new UnknownDevices(resolve, o.log, peek && ((id) => peek(id) === null));
    this.sinks = { bus: o.bus, writer: this.writer, publish: o.publish };
  }

  // ── lifecycle ────────────────────────────────────────────────────────────────────────────

  /**
   * Load policies, persisted state and hardware-error windows, and each device's last sign of life
   * from presence (policy.ts `signOfLifeAt`); track the directory's devices. Deadlines are not
   * judged until `listenersOpen()`.
   */
  async start(): Promise<void> {
    const store = this.o.store;
    for (const p of await store.listPolicies()) this.policies.set(p.model, p);
    const rows = new Map((await store.loadDevices()).map((r) => [r.deviceId, r]));
    const seen = (await this.o.lastSeen?.all()) ?? new Map<string, DeviceLastSeen>();
    this.aliveAt = (await store.getMeta(ALIVE_KEY)) ?? 0;
    this.closedAt = (await store.getMeta(CLOSED_KEY)) ?? 0;
    if (this.o.directory)
      for await (const info of this.o.directory.listDevices()) {
        const row = rows.get(info.id);
        const hb = await this.heartbeatFor(info.model);
        this.track(info.id, info.model, info.tags, hb, {
          state: row && row.since > 0 ? row.state : 'in_service',
          reasons: row && row.since > 0 ? row.reasons : [],
          since: row?.since ?? 0,
          lastSeen: signOfLifeAt(seen.get(info.id), hb),
        });
      }
    for (const w of await store.loadErrorWindows()) {
      const d = this.devices.get(w.deviceId);
      if (d) (d.errors ??= new Map()).set(w.code, w.occurrences);
    }
    this.writer.startTimers();
    this.scheduleModelRefresh();
  }

  /**
   * Every listener is open: devices can reach the platform. From now on deadlines are judged, each
   * no earlier than now + interval + grace; the time since the previous run was last known to
   * listen is recorded as platform downtime.
   */
  async listenersOpen(): Promise<PlatformDowntime | undefined> {
    if (this.openAt !== Infinity || this.stopped) return undefined;
    const now = this.o.clock.now();
    this.openAt = now;
    for (const d of this.devices.values()) {
      const hb = d.hb;
      if (!hb || d.state === 'maintenance' || d.state === 'retired' || d.connected) continue;
      this.arm(d, this.deadlineFrom(d, d.lastSeen || d.trackedAt, hb));
    }
    this.writer.live();
    this.timer.resume();
    const downtime =
      this.aliveAt > 0 ? { from: this.aliveAt, to: now, clean: this.closedAt === this.aliveAt } : undefined;
    if (downtime) {
      this.o.log.info({ ...downtime }, 'health: platform downtime recorded; no device is judged for it');
      await this.o.store
        .addDowntime(downtime)
        .catch((err: unknown) => this.o.log.error({ err }, 'health: recording platform downtime failed'));
    }
    await this.writer.flush(); // alive_at now: a crash from here on is downtime from here on
    return downtime;
  }

  /** Shutdown begins, before the listeners close: stop judging deadlines, remember when. */
  async listenersClosing(): Promise<void> {
    if (this.closing || this.stopped) return;
    this.closing = true;
    this.timer.pause();
    // An app that never listened was never reachable: it leaves `alive_at` as it was.
    if (this.openAt !== Infinity) this.writer.closing(this.o.clock.now());
    await this.writer.flush();
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
    this.timer.pause();
    this.writer.stop();
    this.cancelModels?.();
    await this.flush();
  }

  /** The engine's clock (the cluster wiring stamps shard gains with it). */
  now(): number {
    return this.o.clock.now();
  }

  /** Wait until every state change so far is written. */
  flush(): Promise<void> {
    return this.writer.flush();
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
      judgedFrom: 0,
      checkAt: Infinity,
      connected: false,
      lastChecked: -Infinity,
      errors: undefined,
    };
    this.devices.set(id, d);
    if (hb) this.arm(d, this.deadlineFrom(d, d.lastSeen || now, hb));
    return d;
  }

  /** Take presence's last sign of life where it is newer (a gained shard, a resync). */
  async adoptLastSeen(which: (deviceId: string) => boolean): Promise<void> {
    const seen = await this.o.lastSeen?.all();
    if (!seen) return;
    for (const d of this.devices.values()) {
      if (!which(d.id)) continue;
      const at = signOfLifeAt(seen.get(d.id), d.hb);
      if (at > d.lastSeen) d.lastSeen = at;
    }
  }

  untrack(id: string): void {
    this.devices.delete(id);
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
  signOfLife(id: string, at: number, via: SignOfLifeVia): void {
    const d = this.devices.get(id);
    if (!d) {
      if (this.o.directory) this.unknown.seen(id, at, () => this.signOfLife(id, at, via));
      return;
    }
    if (!this.heard(d, at, via)) return;
    const hb = d.hb;
    if (!hb) return;
    if (!this.ownership.owns(id)) {
      this.o.forward?.({ kind: 'sign_of_life', deviceId: id, at, via }); // the owner judges it
      return;
    }
    if (hb.signOfLife === 'connection') {
      if (via === 'connected') d.connected = true;
      if (via === 'disconnected') d.connected = false;
    }
    const silenced = d.state === 'maintenance' || d.state === 'retired';
    if (!silenced && at - d.lastChecked >= hb.intervalMs / 2) {
      d.lastChecked = at;
      this.o.bus.emit('heartbeat.checked', { deviceId: id, ...modelOf(d), at, received: true });
    }
    if (d.reasons.includes(HEARTBEAT_LOST))
      this.apply(d, { kind: 'remove-reason', reason: HEARTBEAT_LOST }, at, SYSTEM, `sign of life (${via})`);
    this.arm(d, d.connected ? Infinity : this.deadlineFrom(d, at, hb));
  }

  /**
   * A sign of life another node forwarded to the owner, heard here while this node does not own
   * the device: only its last-seen moves (every node hears every forward), so whichever node gains
   * the shard next — after the owner died, before the store has it — judges from it.
   */
  heardElsewhere(id: string, at: number, via: SignOfLifeVia): void {
    const d = this.devices.get(id);
    if (d) this.heard(d, at, via);
  }

  /**
   * Give devices of a shard just gained one whole deadline from `at`, unless they are already out
   * for a lost heartbeat: the previous owner may have heard them after the last sign of life the
   * store and this node know of (its unwritten presence batch died with it).
   */
  graceFrom(which: (deviceId: string) => boolean, at: number): void {
    for (const d of this.devices.values())
      if (which(d.id) && !d.reasons.includes(HEARTBEAT_LOST) && at > d.judgedFrom) d.judgedFrom = at;
  }

  /** Whether a sign of life counts under the device's policy; if so its last-seen moves. */
  private heard(d: TrackedDevice, at: number, via: SignOfLifeVia): boolean {
    const counts = countsAsSignOfLife(d.hb, via);
    // Working state for the deadline (presence holds and stores the fact; non-owners keep it too,
    // so a shard move finds it here even before presence's batch is written).
    if (counts && at > d.lastSeen) d.lastSeen = at;
    return counts;
  }

  /** A hardware error or other coded event: counts toward the model's thresholds. */
  deviceEvent(id: string, code: string, at: number): void {
    const d = this.devices.get(id);
    if (!d || d.model === null || d.state === 'maintenance' || d.state === 'retired') return;
    if (!this.ownership.owns(id)) {
      this.o.forward?.({ kind: 'device_event', deviceId: id, code, at }); // the owner counts it
      return;
    }
    const t = this.policies.get(d.model)?.errorThresholds.find((x) => x.code === code);
    if (!t) return;
    d.errors ??= new Map();
    let w = d.errors.get(code);
    if (!w) d.errors.set(code, (w = []));
    const crossed = recordOccurrence(w, at, t.threshold, t.windowMs);
    this.writer.errorWindow(id, code, w);
    if (!crossed) return;
    if (t.action === 'out_of_service')
      this.judge(
        d,
        { kind: 'add-reason', reason: hardwareReason(code) },
        at,
        `${t.threshold} × ${code} within ${t.windowMs} ms`,
      );
    this.o.bus.emit('health.alert', thresholdAlert(d, t, at));
  }

  flapping(id: string, at: number, connects: number, windowMs: number): void {
    const d = this.devices.get(id);
    if (!d || d.state === 'maintenance' || d.state === 'retired') return;
    const min = (d.model !== null ? this.policies.get(d.model)?.flappingMinConnects : undefined) ?? 0;
    if (connects < min) return;
    this.o.bus.emit('health.alert', flappingAlert(d, at, connects, windowMs));
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
        Math.max(d.checkAt === Infinity ? 0 : d.checkAt, this.deadlineFrom(d, this.o.clock.now(), d.hb)),
      );
    return changed;
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  /**
   * The deadline for a sign of life at `base`; never earlier than listeners-open + interval + grace,
   * nor than the device's floor (a gained shard) + interval + grace.
   */
  private deadlineFrom(d: TrackedDevice, base: number, hb: HeartbeatPolicy): number {
    return Math.max(base, this.openAt, d.judgedFrom) + hb.intervalMs + hb.graceMs;
  }

  private setHeartbeat(d: TrackedDevice, hb: HeartbeatPolicy | undefined): void {
    const before = d.hb;
    d.hb = hb;
    if (!hb) {
      d.checkAt = Infinity;
      return;
    }
    if (before?.intervalMs !== hb.intervalMs || before.graceMs !== hb.graceMs || d.checkAt === Infinity)
      this.arm(d, this.deadlineFrom(d, d.lastSeen || this.o.clock.now(), hb));
  }

  /**
   * Arm (or drop) a device's deadline from its last sign of life: after its shard was gained
   * (state reloaded from the store) or lost (only the owner arms; see `arm`).
   */
  rearm(d: TrackedDevice): void {
    const hb = d.hb;
    const judged = hb && d.state !== 'maintenance' && d.state !== 'retired' && !d.connected;
    this.arm(d, judged ? this.deadlineFrom(d, d.lastSeen || d.trackedAt, hb) : Infinity);
  }

  /** Only the owner of the device's shard holds a deadline (checked again when it fires). */
  private arm(d: TrackedDevice, at: number): void {
    if (at !== Infinity && !this.ownership.owns(d.id)) at = Infinity;
    const old = d.checkAt;
    d.checkAt = at;
    this.timer.move(d.id, old, at);
  }

  private onDue(buckets: string[][], now: number): void {
    for (const bucket of buckets)
      for (const id of bucket) {
        const d = this.devices.get(id);
        // Stale wheel entries (the deadline moved on) are skipped here: lazy invalidation.
        if (!d || d.checkAt > now || !d.hb || !this.ownership.owns(id)) continue;
        this.expire(d, d.checkAt, now);
      }
  }

  /** A missed interval: count it, take the device out (once), look again one interval later. */
  private expire(d: TrackedDevice, due: number, now: number): void {
    const hb = d.hb!;
    const silenced = d.state === 'maintenance' || d.state === 'retired';
    if (!silenced) {
      this.o.bus.emit('heartbeat.checked', { deviceId: d.id, ...modelOf(d), at: due, received: false });
      if (!d.reasons.includes(HEARTBEAT_LOST)) {
        const deadline = this.deadlineFrom(d, d.lastSeen || d.trackedAt, hb);
        const at = Math.min(Math.max(deadline, d.since), now);
        // With several members the write is a compare-and-set, so a sign of life can arrive while
        // it is on its way: before it, the change is dropped; during it, the device comes back.
        const heard = d.lastSeen;
        this.judge(
          d,
          { kind: 'add-reason', reason: HEARTBEAT_LOST },
          at,
          undefined,
          () => {
            this.onExpired?.(due, now);
            if (d.lastSeen > heard && d.reasons.includes(HEARTBEAT_LOST))
              this.apply(
                d,
                { kind: 'remove-reason', reason: HEARTBEAT_LOST },
                d.lastSeen,
                SYSTEM,
                'sign of life',
              );
          },
          () => d.lastSeen === heard,
        );
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
    return applyChange(this.sinks, d, cmd, at, actor, note);
  }

  /**
   * A change the health engine decides on its own (heartbeat lost, error threshold). With one
   * member nothing can race it: applied at once, written in the next batch. With several, two
   * nodes may judge one device across a lease hand-over: the write is a compare-and-set on the
   * state this node holds, and events are emitted only when it applied (conditional-change.ts).
   */
  private judge(
    d: TrackedDevice,
    cmd: StateCommand,
    at: number,
    note: string | undefined,
    done?: () => void,
    stillHolds?: () => boolean,
  ): void {
    if (this.ownership.members().length <= 1) {
      if (this.apply(d, cmd, at, SYSTEM, note)) done?.();
      return;
    }
    applyConditionally(this.o.store, this.writer, this.sinks, d, cmd, at, SYSTEM, note, stillHolds).then(
      (applied) => applied && done?.(),
      (err: unknown) => this.o.log.error({ err, deviceId: d.id }, 'health: conditional state change failed'),
    );
  }

  private scheduleModelRefresh(): void {
    if (this.stopped || !this.o.directory) return;
    this.cancelModels = this.o.clock.setTimer(MODEL_REFRESH_MS, () => {
      this.refreshModels()
        .catch((err: unknown) => this.o.log.warn({ err }, 'health: refreshing model policies failed'))
        .finally(() => this.scheduleModelRefresh());
    });
  }
}
