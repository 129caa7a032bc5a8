/**
 * Device positions for the map: the latest `lat`/`lon` (or `latitude`/`longitude`) values, the
 * service state (out of service from health) and connectivity (online from the registry). Kept
 * apart from the map component so the conversion can be unit-tested without a browser.
 */
import { call } from './api';

/** Worst first: out of service outranks offline, which outranks in service. */
export type MapState = 'out' | 'offline' | 'ok';

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
};

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
