/**
 * How one bus event counts toward an SLI: (good, total) increments, or nothing. Availability is
 * not event-counted (availability.ts accrues device-minutes). Selectors on model/tag/device are
 * checked by the caller with the device's directory entry.
 */
import type { TsunaguEvents } from '../core/index.js';
import type { EventFilter, FieldCondition, RatioEventName, Sli } from './types.js';

export interface Count {
  good: number;
  total: number;
}

export type CountedEvent = { [K in RatioEventName]: { name: K; payload: TsunaguEvents[K] } }[RatioEventName];

/** The event kinds an SLI listens to. */
export function sliEvents(sli: Sli): RatioEventName[] {
  switch (sli.type) {
    case 'heartbeat':
      return ['heartbeat.checked'];
    case 'command-success':
    case 'command-latency':
      return ['command.finished'];
    case 'hardware-health':
    case 'decode-health':
      return ['device.message'];
    case 'schedule-applied':
      return ['schedule.execution'];
    case 'availability':
      return [];
    case 'ratio':
      return [sli.total.event];
  }
}

const ONE_GOOD: Count = { good: 1, total: 1 };
const ONE_BAD: Count = { good: 0, total: 1 };

/** Count `ev` for `sli` (selector not checked here). */
export function countEvent(sli: Sli, ev: CountedEvent): Count | null {
  switch (sli.type) {
    case 'heartbeat':
      return ev.name === 'heartbeat.checked' ? (ev.payload.received ? ONE_GOOD : ONE_BAD) : null;
    case 'command-success':
      if (ev.name !== 'command.finished') return null;
      if (sli.command !== undefined && ev.payload.name !== sli.command) return null;
      return ev.payload.status === 'succeeded' ? ONE_GOOD : ONE_BAD;
    case 'command-latency': {
      if (ev.name !== 'command.finished') return null;
      const c = ev.payload;
      if (sli.command !== undefined && c.name !== sli.command) return null;
      if (c.status !== 'succeeded') return ONE_BAD;
      // Without a measured latency, the request-to-final-state time is the honest upper bound.
      const latency =
        (sli.latency === 'confirm' ? c.confirmLatencyMs : c.replyLatencyMs) ?? c.finishedAt - c.requestedAt;
      return latency <= sli.thresholdMs ? ONE_GOOD : ONE_BAD;
    }
    case 'hardware-health':
      return ev.name === 'device.message' ? (ev.payload.hardwareError ? ONE_BAD : ONE_GOOD) : null;
    case 'decode-health':
      return ev.name === 'device.message' ? (ev.payload.decoded ? ONE_GOOD : ONE_BAD) : null;
    case 'schedule-applied': {
      if (ev.name !== 'schedule.execution' || ev.payload.status === 'overridden') return null;
      const e = ev.payload;
      if (e.status !== 'verified') return ONE_BAD;
      return sli.thresholdMs === undefined || (e.latencyMs ?? 0) <= sli.thresholdMs ? ONE_GOOD : ONE_BAD;
    }
    case 'availability':
      return null;
    case 'ratio': {
      // good ⊆ total: an event is good only when it also matches the total filter.
      if (!matchesFilter(sli.total, ev)) return null;
      return matchesFilter(sli.good, ev) ? ONE_GOOD : ONE_BAD;
    }
  }
}

export function matchesFilter(f: EventFilter, ev: CountedEvent): boolean {
  if (f.event !== ev.name) return false;
  for (const c of f.where) if (!holds(c, fieldAt(ev.payload, c.field))) return false;
  return true;
}

function fieldAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function holds(c: FieldCondition, v: unknown): boolean {
  if (c.op === 'eq') return v === c.value;
  if (c.op === 'ne') return v !== c.value;
  // Ordering compares numbers with numbers and strings with strings; anything else never matches.
  if (typeof v !== typeof c.value || (typeof v !== 'number' && typeof v !== 'string')) return false;
  const a = v;
  const b = c.value as number | string;
  switch (c.op) {
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
  }
}
