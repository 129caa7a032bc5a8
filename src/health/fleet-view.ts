/** Read models over the engine's in-memory fleet: counts for `/fleet/health`, the out-of-service list. */
import type { ServiceState } from '../core/index.js';

export interface FleetDevice {
  id: string;
  model: string | null;
  tags: string[];
  state: ServiceState;
  reasons: string[];
  since: number;
  lastSeen: number;
}

type Counts = Record<ServiceState, number>;
const zero = (): Counts => ({ in_service: 0, out_of_service: 0, maintenance: 0, retired: 0 });

export interface FleetHealth {
  at: number;
  total: number;
  byState: Counts;
  byReason: Record<string, number>;
  byModel: Record<string, Counts>;
  byTag: Record<string, Counts>;
  /** in_service ÷ every device not retired (1 when the fleet is empty). */
  inServiceShare: number;
}

export function fleetHealth(devices: Iterable<FleetDevice>, at: number): FleetHealth {
  const out: FleetHealth = {
    at,
    total: 0,
    byState: zero(),
    byReason: {},
    byModel: {},
    byTag: {},
    inServiceShare: 1,
  };
  for (const d of devices) {
    out.total++;
    out.byState[d.state]++;
    for (const r of d.reasons) out.byReason[r] = (out.byReason[r] ?? 0) + 1;
    const m = d.model ?? '(none)';
    (out.byModel[m] ??= zero())[d.state]++;
    for (const t of d.tags) (out.byTag[t] ??= zero())[d.state]++;
  }
  const fleet = out.total - out.byState.retired;
  out.inServiceShare = fleet === 0 ? 1 : out.byState.in_service / fleet;
  return out;
}

export interface OutOfServicePage {
  total: number;
  items: {
    deviceId: string;
    model: string | null;
    tags: string[];
    since: number;
    reasons: string[];
    lastSeen: number | null;
  }[];
}

/** Longest out first (oldest `since`), then by id, so pages are stable. */
export function outOfService(
  devices: Iterable<FleetDevice>,
  opts: { offset: number; limit: number; model?: string; reason?: string },
): OutOfServicePage {
  const all: FleetDevice[] = [];
  for (const d of devices) {
    if (d.state !== 'out_of_service') continue;
    if (opts.model !== undefined && d.model !== opts.model) continue;
    if (opts.reason !== undefined && !d.reasons.includes(opts.reason)) continue;
    all.push(d);
  }
  all.sort((a, b) => a.since - b.since || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    total: all.length,
    items: all.slice(opts.offset, opts.offset + opts.limit).map((d) => ({
      deviceId: d.id,
      model: d.model,
      tags: d.tags,
      since: d.since,
      reasons: d.reasons,
      lastSeen: d.lastSeen > 0 ? d.lastSeen : null,
    })),
  };
}
