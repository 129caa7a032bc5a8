/**
 * Device positions for the map: the latest `lat`/`lon` (or `latitude`/`longitude`) values, the
 * service state (health's) and connectivity (online from the registry). Kept
 * apart from the map component so the conversion can be unit-tested without a browser.
 */
import { call } from './api';

/**
 * A device on the map: health's `out` of service, `maintenance` or `retired` (connected or not),
 * else in service and `offline` or `ok`. A cluster's colour: see clusterState.
 */
export type MapState = 'out' | 'offline' | 'maintenance' | 'retired' | 'ok';

/** The legend's order. */
export const LEGEND_ORDER: MapState[] = ['ok', 'out', 'offline', 'maintenance', 'retired'];

export interface DevicePoint {
  id: string;
  lat: number;
  lon: number;
  state: MapState;
}

export const STATE_LABEL: Record<MapState, string> = {
  ok: 'in service',
  offline: 'offline',
  out: 'out of service',
  maintenance: 'maintenance',
  retired: 'retired',
};

/**
 * The colour of a cluster from its counts per state (`n` devices in all): out of service, else
 * offline, else maintenance, else in service — retired only when every device is (a retired device
 * never hides a live one).
 */
export function clusterState(counts: Partial<Record<MapState, number>>, n: number): MapState {
  for (const s of ['out', 'offline', 'maintenance'] as const) if ((counts[s] ?? 0) > 0) return s;
  return n > 0 && counts.retired === n ? 'retired' : 'ok';
}

/** Devices per state (the legend). */
export function countStates(points: readonly DevicePoint[]): Record<MapState, number> {
  const c: Record<MapState, number> = { ok: 0, offline: 0, out: 0, maintenance: 0, retired: 0 };
  for (const p of points) c[p.state]++;
  return c;
}

/** The columnar answer of `GET /fleet/positions` (one entry per device, same index in each array). */
export interface PositionColumns {
  ids?: string[];
  lat?: number[];
  lon?: number[];
  state?: MapState[];
}

/** Columns to points; entries with a missing or out-of-range coordinate are skipped. */
export function fromColumns(c: PositionColumns): DevicePoint[] {
  const ids = c.ids ?? [];
  const lat = c.lat ?? [];
  const lon = c.lon ?? [];
  const state = c.state ?? [];
  const res: DevicePoint[] = [];
  for (let i = 0; i < ids.length; i++) {
    const la = lat[i];
    const lo = lon[i];
    if (la === undefined || lo === undefined || Math.abs(la) > 90 || Math.abs(lo) > 180) continue;
    res.push({ id: ids[i]!, lat: la, lon: lo, state: state[i] ?? 'offline' });
  }
  return res;
}

/** Every device's position and state in one compact request (the server joins telemetry, health and presence). */
export async function loadPositions(): Promise<DevicePoint[]> {
  return fromColumns(await call('/fleet/positions', 'get', { query: { limit: 200000 } }));
}
