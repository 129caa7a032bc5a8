/**
 * `GET /api/v1/fleet/positions`: every device's latest position for the console map in one compact
 * answer — columnar arrays (`ids`, `lat`, `lon`, `state`) instead of four fleet-wide latest-value
 * lists and two paged id lists. Latitude is the latest `lat` (else `latitude`), longitude `lon`
 * (else `longitude`); the service state comes from the platform (health's service state and the
 * registry's presence, wired in app.ts). A customer's principal sees only its own devices.
 */
import type { FastifyInstance } from 'fastify';
import type { DeviceDirectory } from '../core/index.js';
import { paging } from '../http/index.js';
import type { TelemetryStore } from './telemetry-store.js';

/**
 * A device's state on the map: `out` of service, `maintenance` or `retired` (health's state, whether
 * connected or not), else in service and `offline` (not connected now) or `ok`.
 */
export type PositionState = 'out' | 'offline' | 'maintenance' | 'retired' | 'ok';
const POSITION_STATES: PositionState[] = ['out', 'offline', 'maintenance', 'retired', 'ok'];

export interface PositionsDeps {
  store: TelemetryStore;
  directory: DeviceDirectory;
  /** A device's state on the map; without it every device is `ok`. */
  positionState?: (deviceId: string) => PositionState;
}

export interface Positions {
  ids: string[];
  lat: number[];
  lon: number[];
  state: PositionState[];
  /** More devices have a position than `limit`. */
  truncated: boolean;
}

const column = (items: Record<string, unknown>) => ({ type: 'array', items });

export function positionsRoute(api: FastifyInstance, d: PositionsDeps): void {
  api.get<{ Querystring: { model?: string; tag?: string; limit: number } }>(
    '/fleet/positions',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Latest position and map state of every device, as columns (the console map)',
        querystring: {
          type: 'object',
          properties: {
            model: { type: 'string' },
            tag: { type: 'string' },
            ...paging({ max: 200_000, default: 100_000, offset: false }),
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['ids', 'lat', 'lon', 'state', 'truncated'],
            properties: {
              ids: column({ type: 'string' }),
              lat: column({ type: 'number' }),
              lon: column({ type: 'number' }),
              state: column({ type: 'string', enum: POSITION_STATES }),
              truncated: { type: 'boolean' },
            },
          },
        },
      },
    },
    async (req): Promise<Positions> => {
      const { model, tag, limit } = req.query;
      const p = req.principal;
      let deviceIds: string[] | undefined;
      if (model !== undefined || tag !== undefined || p?.customer !== undefined) {
        deviceIds = [];
        const filter = { ...(model !== undefined ? { model } : {}), ...(tag !== undefined ? { tag } : {}) };
        const sees = p?.customer === undefined ? () => true : (p.devices ?? (() => false));
        for await (const dev of d.directory.listDevices(filter)) if (sees(dev)) deviceIds.push(dev.id);
        if (deviceIds.length === 0) return { ids: [], lat: [], lon: [], state: [], truncated: false };
      }
      // One latest-value read per metric name, in the server: no JSON between the reads.
      const read = async (metric: string): Promise<Map<string, number>> => {
        const m = new Map<string, number>();
        const rows = await d.store.latest({ metric, limit: limit + 1, ...(deviceIds ? { deviceIds } : {}) });
        for (const r of rows)
          if (typeof r.value === 'number' && Number.isFinite(r.value)) m.set(r.deviceId, r.value);
        return m;
      };
      const [lat, lon, latitude, longitude] = await Promise.all([
        read('lat'),
        read('lon'),
        read('latitude'),
        read('longitude'),
      ]);
      for (const [id, v] of latitude) if (!lat.has(id)) lat.set(id, v);
      for (const [id, v] of longitude) if (!lon.has(id)) lon.set(id, v);
      const out: Positions = { ids: [], lat: [], lon: [], state: [], truncated: false };
      for (const [id, la] of lat) {
        const lo = lon.get(id);
        if (lo === undefined || Math.abs(la) > 90 || Math.abs(lo) > 180) continue;
        if (out.ids.length === limit) {
          out.truncated = true;
          break;
        }
        out.ids.push(id);
        out.lat.push(la);
        out.lon.push(lo);
        out.state.push(d.positionState?.(id) ?? 'ok');
      }
      return out;
    },
  );
}
