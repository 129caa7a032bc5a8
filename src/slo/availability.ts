/**
 * Fleet availability as time-weighted device-minutes: for each availability SLO, good accrues
 * (devices in service × time) and total accrues (devices registered and neither retired nor in
 * maintenance × time), split exactly at minute boundaries, so a device out of service for 30 s
 * costs 0.5 device-minutes.
 *
 * Rules: a registered device counts from its registration; until health reports a state for it
 * ('service-state.changed'), it counts as in service. 'out_of_service' is bad time; 'maintenance'
 * and 'retired' are excluded from both good and total. The last state per device is persisted so
 * a restart does not forget who is out of service.
 */
import type { ServiceState } from '../core/index.js';
import type { DeviceFacts } from './device-cache.js';
import { selectorMatches } from './device-cache.js';
import { MINUTE } from './budget.js';
import type { DeviceSelector } from './types.js';

interface Tracked {
  selector: DeviceSelector;
  inService: number;
  eligible: number;
}

export type Accrue = (sloId: string, minute: number, good: number, total: number) => void;

export class AvailabilityTracker {
  private readonly devices = new Map<string, DeviceFacts>();
  private readonly states = new Map<string, ServiceState>();
  private readonly slos = new Map<string, Tracked>();
  private lastAccrual: number;

  constructor(
    now: number,
    private readonly accrue: Accrue,
  ) {
    this.lastAccrual = now;
  }

  /** Initial load: registered devices and persisted states (before any SLO is tracked). */
  load(devices: Iterable<[string, DeviceFacts]>, states: Map<string, ServiceState>): void {
    for (const [id, f] of devices) this.devices.set(id, f);
    for (const [id, s] of states) this.states.set(id, s);
  }

  get deviceCount(): number {
    return this.devices.size;
  }

  private stateOf(id: string): ServiceState {
    return this.states.get(id) ?? 'in_service';
  }

  private contribution(id: string, facts: DeviceFacts, t: Tracked, sign: 1 | -1): void {
    if (!selectorMatches(t.selector, id, undefined, facts)) return;
    const s = this.stateOf(id);
    if (s === 'retired' || s === 'maintenance') return;
    t.eligible += sign;
    if (s === 'in_service') t.inService += sign;
  }

  track(sloId: string, selector: DeviceSelector, now: number): void {
    this.accrueTo(now);
    const t: Tracked = { selector, inService: 0, eligible: 0 };
    for (const [id, f] of this.devices) this.contribution(id, f, t, 1);
    this.slos.set(sloId, t);
  }

  untrack(sloId: string, now: number): void {
    this.accrueTo(now);
    this.slos.delete(sloId);
  }

  /** Accrue device-minutes for every tracked SLO up to `now` (called each minute and before changes). */
  accrueTo(now: number): void {
    let from = this.lastAccrual;
    if (now <= from) return;
    this.lastAccrual = now;
    if (this.slos.size === 0) return;
    while (from < now) {
      const minute = Math.floor(from / MINUTE);
      const until = Math.min(now, (minute + 1) * MINUTE);
      const share = (until - from) / MINUTE;
      for (const [id, t] of this.slos)
        if (t.eligible > 0) this.accrue(id, minute, t.inService * share, t.eligible * share);
      from = until;
    }
  }

  private forEachContribution(id: string, sign: 1 | -1): void {
    const f = this.devices.get(id);
    if (!f) return;
    for (const t of this.slos.values()) this.contribution(id, f, t, sign);
  }

  setState(deviceId: string, state: ServiceState, now: number): void {
    this.accrueTo(now);
    this.forEachContribution(deviceId, -1);
    this.states.set(deviceId, state);
    this.forEachContribution(deviceId, 1);
  }

  /** A device was registered or its model/tags changed. */
  upsertDevice(deviceId: string, facts: DeviceFacts, now: number): void {
    this.accrueTo(now);
    this.forEachContribution(deviceId, -1);
    this.devices.set(deviceId, facts);
    this.forEachContribution(deviceId, 1);
  }

  removeDevice(deviceId: string, now: number): void {
    this.accrueTo(now);
    this.forEachContribution(deviceId, -1);
    this.devices.delete(deviceId);
    this.states.delete(deviceId);
  }

  /** Current (in service, eligible) device counts of an SLO. */
  counts(sloId: string): { inService: number; eligible: number } | undefined {
    const t = this.slos.get(sloId);
    return t ? { inService: t.inService, eligible: t.eligible } : undefined;
  }
}
