/**
 * The executor: at each slot boundary it writes the slot's patch into the target devices' shadows
 * (actor `schedule:<id>`, so shadow history shows who wrote), then verifies reported == desired,
 * re-sending up to `verify.attempts` times, and finishes each execution as verified or failed.
 *
 * Rules it keeps (docs/schedules.md):
 * - Only the state due now is ever written: at start-up, on a schedule change or on gaining a shard
 *   the current slot is executed if it was not (executions are unique per schedule, device and
 *   slot, so nothing fires twice and the past is never replayed).
 * - A device offline at its slot gets an `offline` execution; when it connects, the current state
 *   is re-sent (catch-up), not every missed slot: each new slot supersedes the open execution.
 * - A manual desired change to keys the schedule controls is recorded as an override: it holds
 *   until the next slot or until cleared, per the schedule's `overrideMode`.
 * - Work for a device runs on the node that owns the device's shard (ownership seam); every
 *   transition is a compare-and-set in the store.
 */
import { randomUUID } from 'node:crypto';
import { type DeviceInfo, type TsunaguEvents, withSpan } from '../core/index.js';
import { ExecutorIo } from './executor-io.js';
import type { ExecutorDeps, ShadowChange } from './executor-deps.js';
import type { Execution, ExecutionKind, Override } from './execution.js';
import { mismatches } from './match.js';
import { detectedOverride } from './override-detect.js';
import { Resolver } from './resolve.js';
export type { ExecutorDeps, ShadowChange, ShadowWriter } from './executor-deps.js';
import type { Schedule, SlotWrite } from './types.js';

interface Target {
  device: DeviceInfo;
  resolver: Resolver;
}

interface Loaded {
  s: Schedule;
  targets: Map<string, Target>;
  cancelTimer?: () => void;
}

/** Devices per chunk of a slot (one execution INSERT, one shadow write transaction). */
const SLOT_CHUNK = 400;

const key = (scheduleId: string, deviceId: string): string => `${scheduleId}\u0000${deviceId}`;

export class Executor {
  private readonly loaded = new Map<string, Loaded>();
  private readonly byDevice = new Map<string, Set<string>>();
  /** Open executions this node works on, by schedule and device. */
  private readonly open = new Map<string, Execution>();
  private readonly checkTimers = new Map<string, () => void>();
  /** Executions with a catch-up armed (one per execution, however often the device connects). */
  private readonly catchUps = new Set<string>();
  /** The last slot instant executed, by schedule and device (skips store round trips). */
  private readonly done = new Map<string, number>();
  private readonly overrides = new Map<string, Override>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly unsubscribe: (() => void)[] = [];
  private stopped = false;
  /** Shadow writes, reported-state reads and execution compare-and-sets, batched. */
  private readonly io: ExecutorIo;

  constructor(private readonly deps: ExecutorDeps) {
    this.io = new ExecutorIo(deps, SLOT_CHUNK);
  }

  async start(): Promise<void> {
    const { bus, ownership } = this.deps;
    for (const e of await this.deps.store.openExecutions()) this.adopt(e);
    for (const s of await this.deps.store.list()) await this.reload(s.id);
    this.unsubscribe.push(
      bus.on('shadow.updated', (e) => this.onShadowEvent(e)),
      ...(this.deps.handOff
        ? [
            this.deps.handOff.subscribe((e) => {
              if (this.deps.ownership.owns(e.deviceId)) this.track(this.onShadowUpdated(e));
            }),
          ]
        : []),
      this.deps.onOnline
        ? this.deps.onOnline((id) => this.onConnected(id))
        : bus.on('device.connected', (e) => this.onConnected(e.deviceId)),
      bus.on('device.changed', (e) => {
        for (const l of this.loaded.values())
          if (this.mayTarget(l.s, e.deviceId, e.model)) this.track(this.reload(l.s.id));
      }),
      ownership.onChange(({ gained }) => {
        if (gained.length === 0) return;
        this.track(
          (async () => {
            for (const e of await this.deps.store.openExecutions()) this.adopt(e);
            for (const id of [...this.loaded.keys()]) await this.reload(id);
          })(),
        );
      }),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    for (const l of this.loaded.values()) l.cancelTimer?.();
    for (const c of this.checkTimers.values()) c();
    this.checkTimers.clear();
    await this.idle();
  }

  /** Resolves when no executor work is in flight (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private track<T>(p: Promise<T>): void {
    const q = p.catch((err: unknown) => this.deps.log.error({ err }, 'schedules: executor step failed'));
    this.inflight.add(q);
    void q.finally(() => this.inflight.delete(q));
  }

  private mayTarget(s: Schedule, deviceId: string, model: string | undefined): boolean {
    return (
      s.targets.devices.includes(deviceId) ||
      s.targets.tags.length > 0 ||
      (model !== undefined && s.targets.models.includes(model)) ||
      this.byDevice.get(deviceId)?.has(s.id) === true
    );
  }

  /** Reload a schedule in the background (a change announced on the cluster events). */
  refresh(id: string): void {
    this.track(this.reload(id));
  }

  /** (Re)load a schedule after a change anywhere: targets, overrides, due work, the boundary timer. */
  async reload(id: string): Promise<void> {
    const old = this.loaded.get(id);
    old?.cancelTimer?.();
    for (const d of old?.targets.keys() ?? []) this.byDevice.get(d)?.delete(id);
    this.loaded.delete(id);
    const s = await this.deps.store.get(id);
    if (!s || !s.enabled || this.stopped) {
      for (const [k, e] of this.open) if (e.scheduleId === id) this.forget(k);
      return;
    }
    const targets = new Map<string, Target>();
    const resolvers = new Map<string, Resolver>();
    for (const device of await this.deps.service.targets(s)) {
      const zone = this.deps.service.zoneFor(s, device);
      let resolver = resolvers.get(zone);
      if (!resolver) resolvers.set(zone, (resolver = new Resolver(s, zone)));
      targets.set(device.id, { device, resolver });
      let set = this.byDevice.get(device.id);
      if (!set) this.byDevice.set(device.id, (set = new Set()));
      set.add(id);
    }
    for (const k of [...this.overrides.keys()]) if (k.startsWith(`${id}\u0000`)) this.overrides.delete(k);
    for (const o of await this.deps.store.listOverrides(id)) this.overrides.set(key(id, o.deviceId), o);
    const l: Loaded = { s, targets };
    this.loaded.set(id, l);
    await this.runDue(l, 'startup');
  }

  /** Execute, for every owned target, the slot in effect now unless it already was; re-arm. */
  private async runDue(l: Loaded, kind: ExecutionKind): Promise<void> {
    // Again while a boundary passed during the work (a slow store, a clock that jumped).
    for (let now = this.deps.clock.now(); ;) {
      const due: [Target, SlotWrite][] = [];
      for (const [deviceId, t] of l.targets) {
        if (!this.deps.ownership.owns(deviceId)) continue;
        const st = t.resolver.at(now);
        if (st.kind === 'none' || this.done.get(key(l.s.id, deviceId)) === st.write.at) continue;
        due.push([t, st.write]);
      }
      const attributes = { 'tsunagu.schedule.id': l.s.id, 'tsunagu.schedule.trigger': kind };
      for (let i = 0; i < due.length && !this.stopped; i += SLOT_CHUNK)
        await withSpan('schedule execution', { root: true, attributes }, () =>
          this.executeMany(l, due.slice(i, i + SLOT_CHUNK), kind),
        );
      const later = this.deps.clock.now();
      if (this.stopped || this.loaded.get(l.s.id) !== l || !this.boundaryBetween(l, now, later)) break;
      now = later;
    }
    this.arm(l);
  }

  private boundaryBetween(l: Loaded, from: number, to: number): boolean {
    const seen = new Set<Resolver>();
    for (const t of l.targets.values()) {
      if (seen.has(t.resolver)) continue;
      seen.add(t.resolver);
      const n = t.resolver.next(from);
      if (n && n.at <= to) return true;
    }
    return false;
  }

  private arm(l: Loaded): void {
    l.cancelTimer?.();
    if (this.stopped || this.loaded.get(l.s.id) !== l) return;
    const now = this.deps.clock.now();
    let next = Infinity;
    const seen = new Set<Resolver>();
    for (const t of l.targets.values()) {
      if (seen.has(t.resolver)) continue;
      seen.add(t.resolver);
      next = Math.min(next, t.resolver.next(now)?.at ?? Infinity);
    }
    if (next === Infinity && l.targets.size === 0) return;
    const wait = Math.min(next - now, this.deps.maxSleepMs ?? 3_600_000);
    l.cancelTimer = this.deps.clock.setTimer(Math.max(0, wait), () => this.track(this.runDue(l, 'slot')));
  }

  /**
   * One chunk of a slot: overrides and supersedes per device, then every new execution stored in
   * one batch (durable first), then the shadow writes as one batch (one transaction).
   */
  private async executeMany(l: Loaded, items: [Target, SlotWrite][], kind: ExecutionKind): Promise<void> {
    const fresh: Execution[] = [];
    for (const [t, w] of items) {
      const e = await this.prepare(l, t, w, kind);
      if (e) fresh.push(e);
    }
    const inserted = await this.deps.store.insertExecutions(fresh);
    const send: Execution[] = [];
    for (const e of fresh) {
      if (inserted.has(e.id)) {
        this.open.set(key(e.scheduleId, e.deviceId), e);
        send.push(e);
      } else {
        // Another node (or a previous life of this one) executed this slot: take over its row.
        const existing = await this.deps.store.findExecution(e.scheduleId, e.deviceId, e.slotAt);
        if (existing) this.adopt(existing);
      }
    }
    await Promise.all(
      send.map(async (e) => {
        await this.io.write(l.s, e.deviceId, e.patch);
        if (e.status === 'sent') this.armCheck(e);
      }),
    );
  }

  /** The execution a device gets for slot `w`, or none when an override holds it. */
  private async prepare(
    l: Loaded,
    t: Target,
    w: SlotWrite,
    kind: ExecutionKind,
  ): Promise<Execution | undefined> {
    const { s } = l;
    const deviceId = t.device.id;
    const k = key(s.id, deviceId);
    const now = this.deps.clock.now();
    const o = this.overrides.get(k);
    if (o && o.mode === 'until_next_slot' && o.untilAt !== null && w.at >= o.untilAt) {
      this.overrides.delete(k);
      await this.deps.store.clearOverride(s.id, deviceId);
    } else if (o) {
      // The manual change holds (until cleared, or until a slot after the one it followed). Not
      // marked done: clearing the override applies the state due then.
      return undefined;
    }
    this.done.set(k, w.at);
    const prev = this.open.get(k);
    if (prev && prev.slotAt < w.at)
      await this.finish(prev, 'superseded', `slot ${w.date} ${w.time} came first`);
    const online = this.deps.isOnline(deviceId);
    return {
      id: randomUUID(),
      scheduleId: s.id,
      deviceId,
      shadowName: s.shadowName,
      slotAt: w.at,
      slotDate: w.date,
      slotTime: w.time,
      kind,
      patch: w.patch,
      status: online ? 'sent' : 'offline',
      attempts: online ? 1 : 0,
      nextCheckAt: online ? now + s.verify.timeoutMs : null,
      reason: null,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
  }

  /** Take over an open execution loaded from the store (start-up, ownership gain, a race lost). */
  private adopt(e: Execution): void {
    if (e.status !== 'sent' && e.status !== 'offline') return;
    if (!this.deps.ownership.owns(e.deviceId)) return;
    const k = key(e.scheduleId, e.deviceId);
    const cur = this.open.get(k);
    if (cur && cur.slotAt >= e.slotAt) return;
    this.open.set(k, e);
    this.done.set(k, Math.max(this.done.get(k) ?? 0, e.slotAt));
    if (e.status === 'sent') this.armCheck(e);
    // Taken over while its device is connected (the connect was seen by the previous owner).
    else if (this.deps.isOnline(e.deviceId)) this.armCatchUp(e);
  }

  private forget(k: string): void {
    const e = this.open.get(k);
    if (!e) return;
    this.checkTimers.get(e.id)?.();
    this.checkTimers.delete(e.id);
    this.open.delete(k);
  }

  private armCheck(e: Execution): void {
    this.checkTimers.get(e.id)?.();
    const wait = Math.max(0, (e.nextCheckAt ?? this.deps.clock.now()) - this.deps.clock.now());
    this.checkTimers.set(
      e.id,
      this.deps.clock.setTimer(wait, () => {
        this.checkTimers.delete(e.id);
        this.track(this.check(e.scheduleId, e.deviceId, e.id));
      }),
    );
  }

  /** The verify deadline passed: verified, re-send, wait for the device, or failed. */
  private async check(scheduleId: string, deviceId: string, executionId: string): Promise<void> {
    const k = key(scheduleId, deviceId);
    const e = this.open.get(k);
    if (!e || e.id !== executionId || e.status !== 'sent') return;
    if (!this.deps.ownership.owns(deviceId)) return this.forget(k);
    const s = this.loaded.get(scheduleId)?.s;
    if (!s) return this.forget(k);
    const diff = mismatches(e.patch, await this.io.reported({ deviceId, name: e.shadowName }));
    if (diff.length === 0) return this.finish(e, 'verified', null);
    const now = this.deps.clock.now();
    if (!this.deps.isOnline(deviceId)) {
      await this.transition(e, {
        status: 'offline',
        nextCheckAt: null,
        reason: `offline; ${diff.join('; ')}`,
      });
      return;
    }
    if (e.attempts >= s.verify.attempts)
      return this.finish(
        e,
        'failed',
        `reported state differs after ${e.attempts} attempts: ${diff.join('; ')}`,
      );
    const backoff = Math.min(s.verify.backoffMs * 2 ** (e.attempts - 1), s.verify.maxBackoffMs);
    const next = await this.transition(e, {
      attempts: e.attempts + 1,
      nextCheckAt: now + backoff + s.verify.timeoutMs,
      reason: diff.join('; '),
    });
    if (!next) return;
    // Re-send after the backoff, then give the device the verify timeout again.
    this.checkTimers.set(
      next.id,
      this.deps.clock.setTimer(backoff, () => {
        this.checkTimers.delete(next.id);
        this.track(
          (async () => {
            if (this.open.get(k)?.id !== next.id || next.status !== 'sent') return;
            if (!this.deps.ownership.owns(deviceId)) return this.forget(k); // the new owner re-sends
            await this.io.write(s, deviceId, next.patch);
            this.armCheck(next);
          })(),
        );
      }),
    );
  }

  /** Compare-and-set a change to an open execution; the updated copy, or undefined if another writer won. */
  private async transition(e: Execution, change: Partial<Execution>): Promise<Execution | undefined> {
    const next: Execution = { ...e, ...change, updatedAt: this.deps.clock.now() };
    if (!(await this.io.set(next, { status: e.status, attempts: e.attempts }))) {
      this.forget(key(e.scheduleId, e.deviceId));
      return undefined;
    }
    const k = key(e.scheduleId, e.deviceId);
    if (this.open.get(k)?.id === e.id) this.open.set(k, next);
    return next;
  }

  private async finish(
    e: Execution,
    status: 'verified' | 'failed' | 'superseded' | 'overridden',
    reason: string | null,
  ): Promise<void> {
    const k = key(e.scheduleId, e.deviceId);
    const now = this.deps.clock.now();
    const next = {
      ...e,
      status,
      reason: reason ?? e.reason,
      nextCheckAt: null,
      finishedAt: now,
      updatedAt: now,
    };
    if (status === 'verified') next.reason = null;
    // Forgotten only once final. A transition that won the race (a catch-up re-send batched in the
    // same turn as the report that verifies it) moved the row on: finish that copy instead.
    if (!(await this.io.set(next, { status: e.status, attempts: e.attempts }))) {
      const cur = this.open.get(k);
      if (cur && cur.id === e.id && cur !== e && (cur.status === 'sent' || cur.status === 'offline'))
        return this.finish(cur, status, reason);
      return;
    }
    if (this.open.get(k)?.id === e.id) this.forget(k);
    const l = this.loaded.get(e.scheduleId);
    const payload: TsunaguEvents['schedule.execution'] = {
      scheduleId: e.scheduleId,
      scheduleName: l?.s.name ?? e.scheduleId,
      executionId: e.id,
      deviceId: e.deviceId,
      status,
      slotAt: e.slotAt,
      attempts: e.attempts,
      at: now,
    };
    const model = l?.targets.get(e.deviceId)?.device.model;
    if (model) payload.model = model;
    if (next.reason) payload.reason = next.reason;
    if (status === 'verified') payload.latencyMs = now - e.createdAt;
    this.deps.bus.emit('schedule.execution', payload);
  }

  private onConnected(deviceId: string): void {
    for (const id of this.byDevice.get(deviceId) ?? []) {
      const e = this.open.get(key(id, deviceId));
      if (!e || e.status !== 'offline' || !this.deps.ownership.owns(deviceId)) continue;
      this.armCatchUp(e);
    }
  }

  private armCatchUp(e: Execution): void {
    if (this.catchUps.has(e.id)) return;
    this.catchUps.add(e.id);
    this.deps.clock.setTimer(this.deps.catchUpDelayMs ?? 2000, () => {
      this.catchUps.delete(e.id);
      this.track(this.catchUp(e));
    });
  }

  /** The device is back: send it the state in effect now (not each slot it missed). */
  private async catchUp(e: Execution): Promise<void> {
    const k = key(e.scheduleId, e.deviceId);
    const l = this.loaded.get(e.scheduleId);
    if (!l || this.open.get(k) !== e || !this.deps.isOnline(e.deviceId)) return;
    // The shard moved since the connect: the new owner adopted the execution and catches up.
    if (!this.deps.ownership.owns(e.deviceId)) return this.forget(k);
    if (
      mismatches(e.patch, await this.io.reported({ deviceId: e.deviceId, name: e.shadowName })).length === 0
    )
      return this.finish(e, 'verified', null);
    const next = await this.transition(e, {
      status: 'sent',
      attempts: 1,
      nextCheckAt: this.deps.clock.now() + l.s.verify.timeoutMs,
    });
    if (!next) return;
    await this.io.write(l.s, e.deviceId, next.patch);
    this.armCheck(next);
  }

  private onShadowEvent(ev: TsunaguEvents['shadow.updated']): void {
    if (!this.byDevice.has(ev.deviceId)) return;
    const { handOff, ownership } = this.deps;
    if (handOff && !ownership.owns(ev.deviceId)) {
      const { deviceId, shadowName, desired, reported, actor, at } = ev;
      handOff.publish({ deviceId, shadowName, desired, reported, actor, at });
    } else this.track(this.onShadowUpdated(ev));
  }

  private async onShadowUpdated(ev: ShadowChange): Promise<void> {
    const ids = this.byDevice.get(ev.deviceId);
    if (!ids) return;
    for (const id of ids) {
      const k = key(id, ev.deviceId);
      const e = this.open.get(k);
      // Fast path: the device reported the patch — verified now, not at the deadline.
      // An offline execution counts too: a device that fetched its shadow on reconnect applies it alone.
      if (e && e.shadowName === ev.shadowName && ev.actor.kind === 'device')
        if (mismatches(e.patch, ev.reported ?? undefined).length === 0)
          await this.finish(e, 'verified', null);
      await this.detectOverride(id, ev);
    }
  }

  /** A person, token or rule changed desired keys this schedule controls: record an override. */
  private async detectOverride(id: string, ev: ShadowChange): Promise<void> {
    const { actor } = ev;
    if (actor.kind === 'device' || actor.id.startsWith('schedule:') || !ev.desired) return;
    const l = this.loaded.get(id);
    const t = l?.targets.get(ev.deviceId);
    if (!l || !t || l.s.shadowName !== ev.shadowName || !this.deps.ownership.owns(ev.deviceId)) return;
    const o = detectedOverride(l.s, t.resolver, ev, this.deps.clock.now());
    if (!o) return;
    const k = key(id, ev.deviceId);
    this.overrides.set(k, o);
    await this.deps.store.putOverride(o);
    const e = this.open.get(k);
    if (e) await this.finish(e, 'overridden', `desired ${o.keys.join(', ')} changed by ${o.actor}`);
  }
}
