/**
 * The SLO engine: counts bus events into per-minute counters (in memory as prefix sums, flushed
 * durably in batches), accrues fleet availability, and once a minute evaluates every SLO's status
 * and burn-rate alerts, emitting 'slo.alert' and 'slo.budget-exhausted'.
 *
 * Each closed minute is evaluated once, `evaluationDelayMs` after it closes on `clock` (ManualClock
 * in tests), so events stamped inside the minute but delivered a moment later (a heartbeat deadline
 * found by the 250 ms wheel, a decode that awaited) are in. Values are labelled with the minute
 * they describe. Windows end at that minute: a count dated later (a device clock ahead of ours)
 * waits until its minute closes and never moves a window. Transitions are decided synchronously
 * and persisted in order on one promise chain; `idle()` waits for it.
 */
import {
  type Clock,
  type DeviceDirectory,
  type EventBus,
  type Logger,
  type Ownership,
  type OwnershipChange,
  type ServiceState,
  withChildSpan,
} from '../core/index.js';
import { tierChanges } from './tier-changes.js';
import { AvailabilityTracker } from './availability.js';
import { computeStatus, horizonMinutes, MINUTE, type SloStatus } from './budget.js';
import { upgradeStored } from './definition.js';
import { isShared, readAlertState, resyncCounters, sloShardKey } from './cluster.js';
import { DeviceCache, needsLookup, selectorMatches } from './device-cache.js';
import { SloErrors } from './errors.js';
import { readHistory, type HistoryPoint } from './history.js';
import { AlertWriter } from './transitions.js';
import { MinuteSeries } from './series.js';
import { FUTURE_MINUTES, MAX_CATCH_UP, type Entry } from './engine-entry.js';
import { CounterBuffer } from './counter-buffer.js';
import { countEvent, sliEvents, type CountedEvent } from './sli.js';
import type { SloStore } from './slo-store.js';
import { RATIO_EVENTS, type RatioEventName, type SloDefinition } from './types.js';

export interface EngineOptions {
  store: SloStore;
  bus: EventBus;
  clock: Clock;
  directory: DeviceDirectory;
  log?: Logger;
  /** How often buffered counters are written (default 5 s). */
  flushIntervalMs?: number;
  /** Counters kept beyond an SLO's horizon, for history (default 30 days). */
  retentionExtraMinutes?: number;
  /** How long after a minute closes it is evaluated (default 2 s; late stamps inside it are in). */
  evaluationDelayMs?: number;
  /** Which SLOs this node evaluates (shard key `slo:<id>`; cluster.ts). Default: all of them. */
  ownership?: Ownership;
  /** Told after a definition was stored or deleted (app: a `slo` invalidation to every node). */
  changed?: (name: string) => void;
}

export interface EvaluationResult {
  alerts: { sloId: string; tier: string; state: 'firing' | 'resolved'; burnRate: number }[];
}

export class SloEngine {
  private readonly entries = new Map<string, Entry>();
  private readonly byEvent = new Map<RatioEventName, Entry[]>();
  private readonly buffer: CounterBuffer;
  private readonly writer: AlertWriter;
  private readonly cache: DeviceCache;
  private readonly availability: AvailabilityTracker;
  private work: Promise<void> = Promise.resolve();
  private readonly stops: (() => void)[] = [];
  private cancelEvaluation: (() => void) | undefined;
  private readonly store: SloStore;
  private readonly clock: Clock;
  private stopped = false;
  /** Window end (minute index) of the last evaluation: every minute < it has been evaluated. */
  private evaluatedEnd = -1;

  constructor(private readonly opts: EngineOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.cache = new DeviceCache(opts.directory);
    this.writer = new AlertWriter({
      store: opts.store,
      bus: opts.bus,
      enqueue: (fn) => this.enqueue(fn),
      shared: () => this.shared(),
    });
    this.buffer = new CounterBuffer(opts.store, (id) => this.entries.has(id));
    this.availability = new AvailabilityTracker(opts.clock.now(), (id, m, g, t) => this.count(id, m, g, t));
  }

  /** Load devices, states, definitions and counters; then subscribe and start the timers. */
  async start(): Promise<void> {
    const devices: [string, { model: string | null; tags: string[] }][] = [];
    for await (const d of this.opts.directory.listDevices()) {
      devices.push([d.id, { model: d.model, tags: d.tags }]);
      this.cache.set(d.id, { model: d.model, tags: d.tags });
    }
    this.availability.load(devices, await this.store.getDeviceStates());
    const exhausted = await this.store.getBudgetExhausted();
    const firing = await this.store.listAlerts({ state: 'firing', limit: 100_000 });
    for (const stored of await this.store.listSlos()) {
      const def = upgradeStored(stored);
      const e = await this.load(def);
      e.exhausted = exhausted.get(def.name) ?? false;
      for (const a of firing) if (a.sloId === def.name) e.firing.set(a.tier, a);
    }
    this.subscribe();
    if (this.opts.ownership) this.stops.push(this.opts.ownership.onChange((c) => this.ownershipChanged(c)));
    this.buffer.start(this.clock, this.opts.flushIntervalMs ?? 5000, this.opts.log);
    // Values for /metrics right away, not one minute after a restart.
    for (const e of this.entries.values()) e.stale = !this.owns(e.def.name);
    this.evaluatedEnd = this.closedEnd() - 1;
    this.evaluateClosedMinutes();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.stops.splice(0)) s();
    this.buffer.stop();
    this.cancelEvaluation?.();
    this.availability.accrueTo(this.clock.now());
    await this.flush();
    await this.idle();
  }

  /** Wait until queued persistence (alerts, flags, device states) is done. */
  async idle(): Promise<void> {
    let w: Promise<void>;
    do {
      w = this.work;
      await w;
    } while (w !== this.work);
  }

  private enqueue(fn: () => Promise<void>): void {
    this.work = this.work
      .then(fn)
      .catch((err: unknown) => this.opts.log?.error({ err }, 'slo persistence failed'));
  }

  // ---- definitions -------------------------------------------------------------------------

  list(): SloDefinition[] {
    return [...this.entries.values()].map((e) => e.def).sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): SloDefinition {
    const e = this.entries.get(name);
    if (!e) throw SloErrors.notFound(name);
    return e.def;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Create or replace. A changed SLI starts a fresh counter series (old counts meant something else). */
  async put(def: SloDefinition): Promise<{ created: boolean }> {
    const prev = this.entries.get(def.name);
    await this.flush();
    await this.store.putSlo(def, this.clock.now());
    if (prev && JSON.stringify(prev.def.sli) !== JSON.stringify(def.sli)) {
      await this.store.pruneCounters(def.name, Number.MAX_SAFE_INTEGER);
    }
    await this.adopt(def, prev);
    this.opts.changed?.(def.name);
    return { created: !prev };
  }

  /** Another node stored or deleted this SLO (a `slo` invalidation): adopt what the store holds. */
  async refresh(name: string): Promise<void> {
    const [stored, prev] = [await this.store.getSlo(name), this.entries.get(name)];
    if (stored) {
      const def = upgradeStored(stored);
      if (JSON.stringify(prev?.def) !== JSON.stringify(def)) await this.adopt(def, prev);
    } else if (prev) {
      this.detach(prev);
      this.buffer.drop(name);
    }
  }

  /** Replace the entry, keeping alert state; tiers no longer defined are resolved by the owner. */
  private async adopt(def: SloDefinition, prev: Entry | undefined): Promise<void> {
    const e = await this.load(def, prev);
    e.stale = !this.owns(def.name);
    if (!prev) return;
    e.exhausted = prev.exhausted;
    const tiers = new Set(def.alerting.tiers.map((t) => t.name));
    for (const [tier, a] of prev.firing)
      if (tiers.has(tier)) e.firing.set(tier, a);
      else if (this.owns(def.name)) this.writer.resolve(e, tier, a, this.clock.now(), 0);
  }

  async remove(name: string): Promise<void> {
    const e = this.entries.get(name);
    if (!e) throw SloErrors.notFound(name);
    this.detach(e);
    this.buffer.drop(name);
    await this.flush(); // a flush already under way may still hold its rows
    await this.idle();
    await this.store.deleteSlo(name);
    this.opts.changed?.(name);
  }

  private detach(e: Entry): void {
    this.entries.delete(e.def.name);
    for (const [k, list] of this.byEvent)
      this.byEvent.set(
        k,
        list.filter((x) => x !== e),
      );
    if (e.def.sli.type === 'availability') this.availability.untrack(e.def.name, this.clock.now());
  }

  /** Build the entry from stored counters; `replacing` leaves only when the new one is ready (no gap for readers). */
  private async load(def: SloDefinition, replacing?: Entry): Promise<Entry> {
    const capacity = horizonMinutes(def);
    const series = new MinuteSeries(
      capacity,
      def.budgeting.method === 'timeslices' ? def.budgeting.sliceTarget : undefined,
    );
    const end = Math.floor(this.clock.now() / MINUTE);
    series.extendTo(end - capacity);
    for (const r of await this.store.readCounters(def.name, end - capacity, end + FUTURE_MINUTES))
      series.add(r.minute, r.good, r.total);
    // Counts still in the write buffer are not in the store yet.
    for (const r of this.buffer.pending(def.name)) series.add(r.minute, r.good, r.total);
    series.extendTo(end);
    const e: Entry = { def, series, firing: new Map(), holding: new Map(), exhausted: false };
    if (replacing) this.detach(replacing);
    this.entries.set(def.name, e);
    for (const ev of sliEvents(def.sli)) {
      const list = this.byEvent.get(ev) ?? [];
      list.push(e);
      this.byEvent.set(ev, list);
    }
    if (def.sli.type === 'availability')
      this.availability.track(def.name, def.sli.selector, this.clock.now());
    return e;
  }

  // ---- counting ----------------------------------------------------------------------------

  /** Add to an SLO's counter for one minute: in memory now, durably at the next flush. */
  count(sloId: string, minute: number, good: number, total: number): void {
    const e = this.entries.get(sloId);
    if (!e || (good === 0 && total === 0)) return;
    e.series.add(minute, good, total);
    this.buffer.add(sloId, minute, good, total);
  }

  /** Count one bus event for every SLO that listens to its kind. */
  handle(ev: CountedEvent): void {
    const list = this.byEvent.get(ev.name);
    if (!list || list.length === 0) return;
    const p = ev.payload as { deviceId: string; model?: string; at?: number; finishedAt?: number };
    const minute = Math.floor((p.finishedAt ?? p.at ?? this.clock.now()) / MINUTE);
    for (const e of list) {
      const c = countEvent(e.def.sli, ev);
      if (!c) continue;
      const sel = e.def.sli.selector;
      const facts = this.cache.get(p.deviceId);
      if (facts === undefined && needsLookup(sel, p.model)) {
        const name = e.def.name;
        void this.cache.lookup(p.deviceId).then((f) => {
          if (selectorMatches(sel, p.deviceId, p.model, f)) this.count(name, minute, c.good, c.total);
        });
        continue;
      }
      if (selectorMatches(sel, p.deviceId, p.model, facts)) this.count(e.def.name, minute, c.good, c.total);
    }
  }

  private subscribe(): void {
    for (const name of RATIO_EVENTS)
      this.stops.push(
        this.opts.bus.on(name, (payload) =>
          withChildSpan(`slo count ${name}`, {}, () => this.handle({ name, payload } as CountedEvent)),
        ),
      );
    this.stops.push(
      this.opts.bus.on('service-state.changed', (ev) => this.deviceState(ev.deviceId, ev.to, ev.at)),
      this.opts.bus.on('device.changed', (ev) => {
        this.cache.forget(ev.deviceId);
        if (ev.change === 'deleted') {
          this.availability.removeDevice(ev.deviceId, Math.max(ev.at, this.clock.now()));
          this.enqueue(() => this.store.deleteDeviceState(ev.deviceId));
          return;
        }
        void this.cache.lookup(ev.deviceId).then((f) => {
          if (f && !this.stopped) this.availability.upsertDevice(ev.deviceId, f, this.clock.now());
        });
      }),
    );
  }

  /**
   * A device changed on any node (the `invalidate` cluster event; `device.changed` is emitted only
   * where the change was made): its model and tags are looked up again, in the directory that
   * event already refreshed.
   */
  deviceChanged(deviceId: string): void {
    this.cache.forget(deviceId);
    void this.cache.lookup(deviceId).then((f) => {
      if (this.stopped) return;
      if (f) this.availability.upsertDevice(deviceId, f, this.clock.now());
      else this.availability.removeDevice(deviceId, this.clock.now());
    });
  }

  private deviceState(deviceId: string, state: ServiceState, at: number): void {
    this.availability.setState(deviceId, state, Math.max(at, this.clock.now()));
    this.enqueue(() => this.store.setDeviceState(deviceId, state, at));
  }

  /** Write buffered counters now (one batched upsert; also waits for a flush under way). */
  flush(): Promise<void> {
    return this.buffer.flush();
  }

  /** In a cluster, plus one flush interval: the other nodes' counts of the minute are stored by then. */
  private get evaluationDelay(): number {
    const base = this.opts.evaluationDelayMs ?? 2000;
    return this.shared() ? base + (this.opts.flushIntervalMs ?? 5000) : base;
  }

  /** The window end (minute index) of the newest minute that is closed and past its delay. */
  private closedEnd(): number {
    return Math.floor((this.clock.now() - this.evaluationDelay) / MINUTE);
  }

  /**
   * Evaluate every closed minute not evaluated yet, in order, then arm the timer for the next. The
   * minute comes from the schedule, not from reading the clock at the boundary, so a timer that
   * fires a millisecond early or late still evaluates the minute it was armed for.
   */
  private evaluateClosedMinutes(): void {
    if (this.stopped) return;
    const due = Math.max(this.closedEnd(), this.evaluatedEnd + 1);
    const first = Math.max(this.evaluatedEnd + 1, due - MAX_CATCH_UP + 1);
    const run = (): void => {
      for (let end = first; end <= due; end++) {
        try {
          this.evaluate(end * MINUTE);
        } catch (err) {
          this.opts.log?.error({ err }, 'slo evaluation failed');
        }
      }
    };
    // In a cluster the windows must hold every node's counts: read them back first (cluster.ts).
    if (this.shared()) this.enqueue(() => this.resync(due).then(run));
    else run();
    this.evaluatedEnd = due;
    const next = (due + 1) * MINUTE + this.evaluationDelay;
    this.cancelEvaluation = this.clock.setTimer(Math.max(0, next - this.clock.now()), () =>
      this.evaluateClosedMinutes(),
    );
  }

  // ---- cluster (cluster.ts) -----------------------------------------------------------------

  /** Sticky: once a second node was seen, writes stay conditional (also after it died). */
  private sharedSeen = false;

  private shared(): boolean {
    if (!this.sharedSeen && isShared(this.opts.ownership)) this.sharedSeen = true;
    return this.sharedSeen;
  }

  private owns(sloId: string): boolean {
    return this.opts.ownership?.owns(sloShardKey(sloId)) ?? true;
  }

  private resync(end: number): Promise<void> {
    return resyncCounters(
      this.store,
      this.buffer,
      () => this.entries.values(),
      end - MAX_CATCH_UP,
      end,
      this.opts.log,
    );
  }

  /**
   * Gained SLOs: load their alert state as the previous owner left it, then evaluate the newest
   * closed minute for them (transitions the previous owner did not get to; conditional writes
   * make one it did get to a no-op). Lost SLOs: forget the `alertAfter` hold.
   */
  private ownershipChanged(change: OwnershipChange): void {
    const o = this.opts.ownership!;
    const gained = new Set(change.gained);
    const lost = new Set(change.lost);
    const names: string[] = [];
    for (const e of this.entries.values()) {
      const shard = o.shardOf(sloShardKey(e.def.name));
      if (lost.has(shard) || gained.has(shard)) e.stale = true;
      if (lost.has(shard)) e.holding.clear();
      if (gained.has(shard)) names.push(e.def.name);
    }
    if (names.length === 0 || this.stopped) return;
    const end = this.evaluatedEnd;
    this.enqueue(async () => {
      const state = await readAlertState(this.store);
      await this.resync(end);
      const only = new Set<string>();
      for (const name of names) {
        const e = this.entries.get(name);
        if (!e || !this.owns(name)) continue;
        e.firing = new Map(state.firing.filter((a) => a.sloId === name).map((a) => [a.tier, a]));
        e.exhausted = state.exhausted.get(name) ?? false;
        e.holding.clear();
        e.stale = false;
        only.add(name);
      }
      if (only.size > 0 && !this.stopped) this.evaluate(end * MINUTE, only);
    });
  }

  // ---- evaluation --------------------------------------------------------------------------

  /**
   * Evaluate every SLO with windows ending at `now` (the engine passes the boundary of the minute
   * that closed): statuses, alert transitions, budget exhaustion.
   */
  evaluate(now = this.clock.now(), only?: ReadonlySet<string>): EvaluationResult {
    this.availability.accrueTo(Math.max(now, this.clock.now()));
    const out: EvaluationResult = { alerts: [] };
    for (const e of this.entries.values()) {
      if (only && !only.has(e.def.name)) continue;
      e.series.extendTo(Math.floor(now / MINUTE));
      const status = computeStatus(e.def, e.series, now, this.clock.now());
      e.status = status;
      // Transitions and notifications: the owner's alone (statuses are kept everywhere, for routes).
      if (!this.owns(e.def.name) || e.stale) continue;
      for (const c of tierChanges(e, now)) {
        if (c.state === 'firing') this.writer.open(e, c.record, c.burnRate, now);
        else this.writer.resolve(e, c.tier, c.record, now, c.burnRate);
        out.alerts.push({ sloId: e.def.name, tier: c.tier, state: c.state, burnRate: c.burnRate });
      }
      const exhausted = status.total > 0 && status.budgetRemaining <= 0;
      if (exhausted !== e.exhausted) this.writer.budget(e, exhausted, now);
      if (Math.floor(now / MINUTE) % 60 === 0) this.prune(e, now);
    }
    return out;
  }

  private prune(e: Entry, now: number): void {
    const keep = e.series.capacity + (this.opts.retentionExtraMinutes ?? 43_200);
    const before = Math.floor(now / MINUTE) - keep;
    const name = e.def.name;
    this.enqueue(async () => {
      await this.store.pruneCounters(name, before);
    });
  }

  // ---- queries -----------------------------------------------------------------------------

  /** Status at `now` from the in-memory prefix sums (no storage read). */
  status(name: string, now = this.clock.now()): SloStatus {
    const e = this.entries.get(name);
    if (!e) throw SloErrors.notFound(name);
    this.availability.accrueTo(this.clock.now()); // device-minutes up to now, before minutes close
    e.series.extendTo(Math.floor(now / MINUTE));
    return computeStatus(e.def, e.series, now, this.clock.now());
  }

  /** Tiers of an SLO firing now. */
  firing(name: string): string[] {
    return [...(this.entries.get(name)?.firing.keys() ?? [])];
  }

  /** The status computed at the last evaluation (for /metrics): of the SLOs this node evaluates. */
  lastStatuses(): { def: SloDefinition; status: SloStatus | undefined; firing: string[] }[] {
    return [...this.entries.values()]
      .filter((e) => this.owns(e.def.name))
      .map((e) => ({
        def: e.def,
        status: e.status,
        firing: [...e.firing.keys()],
      }));
  }

  /** SLI and budget remaining at each step in [from, to], from the stored counters. */
  async history(name: string, from: number, to: number, stepMinutes: number): Promise<HistoryPoint[]> {
    const def = this.get(name);
    await this.flush();
    return readHistory(this.store, def, from, to, stepMinutes);
  }

  /** Availability counts (for tests and diagnostics). */
  availabilityCounts(name: string): { inService: number; eligible: number } | undefined {
    return this.availability.counts(name);
  }
}
