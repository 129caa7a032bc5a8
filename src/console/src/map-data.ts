/**
 * Device positions for the map: the latest `lat`/`lon` (or `latitude`/`longitude`) values, the
 * service state (out of service from health) and connectivity (online from the registry). Kept
 * apart from the map component so the merge can be unit-tested without a browser.
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

interface Latest {
  deviceId?: string;
  value?: number | null;
}

/** Merge the latest position values with the out-of-service and online sets. */
export function mergePositions(
  lat: Latest[],
  lon: Latest[],
  out: Set<string>,
  online: Set<string>,
): DevicePoint[] {
  const lons = new Map<string, number>();
  for (const i of lon) if (i.deviceId && typeof i.value === 'number') lons.set(i.deviceId, i.value);
  const res: DevicePoint[] = [];
  const seen = new Set<string>();
  for (const i of lat) {
    const id = i.deviceId;
    if (!id || seen.has(id) || typeof i.value !== 'number') continue;
    const o = lons.get(id);
    if (o === undefined || !Number.isFinite(i.value) || !Number.isFinite(o)) continue;
    if (Math.abs(i.value) > 90 || Math.abs(o) > 180) continue;
    seen.add(id);
    res.push({
      id,
      lat: i.value,
      lon: o,
      state: out.has(id) ? 'out' : online.has(id) ? 'ok' : 'offline',
    });
  }
  return res;
}

/** Every page of a paged list, a few requests at a time once the total is known. */
async function allPages<T>(
  page: (offset: number) => Promise<{ total?: number; items?: T[] }>,
  size: number,
): Promise<T[]> {
  const first = await page(0);
  const items = [...(first.items ?? [])];
  const total = first.total ?? items.length;
  const offsets: number[] = [];
  for (let o = size; o < total; o += size) offsets.push(o);
  for (let i = 0; i < offsets.length; i += 4) {
    const pages = await Promise.all(offsets.slice(i, i + 4).map(page));
    for (const p of pages) items.push(...(p.items ?? []));
  }
  return items;
}

export async function loadPositions(): Promise<DevicePoint[]> {
  const latest = async (metric: string): Promise<Latest[]> =>
    (await call('/telemetry/latest', 'get', { query: { metric, limit: 100000 } })).items ?? [];
  const [lat, lon, latitude, longitude, out, online] = await Promise.all([
    latest('lat'),
    latest('lon'),
    latest('latitude'),
    latest('longitude'),
    allPages((offset) => call('/fleet/out-of-service', 'get', { query: { limit: 10000, offset } }), 10000),
    allPages((offset) => call('/devices', 'get', { query: { online: true, limit: 1000, offset } }), 1000),
  ]);
  return mergePositions(
    [...lat, ...latitude],
    [...lon, ...longitude],
    new Set(out.map((o) => o.deviceId ?? '')),
    new Set(online.map((d) => d.id)),
  );
}
