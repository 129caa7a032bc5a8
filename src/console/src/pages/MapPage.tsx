import { useMemo, useState } from 'react';
import { call } from '../api';
import { ErrorText } from '../components/bits';
import { fitZoom, lonLatToWorld } from '../format';
import { useLoad } from '../hooks';
import { navigate } from '../router';

const TILE_KEY = 'tsunagu.tileUrl';
const DEFAULT_TILES = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
const W = 900;
const H = 520;
const LABEL_LIMIT = 200;

interface Pos {
  id: string;
  lat: number;
  lon: number;
  out: boolean;
}

async function loadPositions(): Promise<Pos[]> {
  const latest = async (metric: string): Promise<Map<string, number>> => {
    const r = await call('/telemetry/latest', 'get', { query: { metric, limit: 100000 } });
    const m = new Map<string, number>();
    for (const i of r.items ?? []) if (i.deviceId && typeof i.value === 'number') m.set(i.deviceId, i.value);
    return m;
  };
  const [lat, lon, latitude, longitude, out] = await Promise.all([
    latest('lat'),
    latest('lon'),
    latest('latitude'),
    latest('longitude'),
    call('/fleet/out-of-service', 'get', { query: { limit: 10000 } }),
  ]);
  const outSet = new Set((out.items ?? []).map((o) => o.deviceId));
  const ids = new Set([...lat.keys(), ...latitude.keys()]);
  const res: Pos[] = [];
  for (const id of ids) {
    const a = lat.get(id) ?? latitude.get(id);
    const o = lon.get(id) ?? longitude.get(id);
    if (a === undefined || o === undefined || !Number.isFinite(a) || !Number.isFinite(o)) continue;
    res.push({ id, lat: a, lon: o, out: outSet.has(id) });
  }
  return res;
}

/**
 * Device positions on Web-Mercator tiles from a configurable tile server. Markers are drawn in SVG
 * over the tiles, so positions still show when tiles cannot load (offline, blocked).
 */
export function MapPage(): JSX.Element {
  const { data, error } = useLoad(loadPositions, []);
  const [tiles, setTiles] = useState(() => localStorage.getItem(TILE_KEY) ?? DEFAULT_TILES);
  const view = useMemo(() => {
    const pts = data ?? [];
    if (pts.length === 0) return undefined;
    const lats = pts.map((p) => p.lat);
    const lons = pts.map((p) => p.lon);
    const z = Math.min(
      16,
      fitZoom(Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats), W, H),
    );
    const c = lonLatToWorld(
      (Math.min(...lons) + Math.max(...lons)) / 2,
      (Math.min(...lats) + Math.max(...lats)) / 2,
      z,
    );
    return { z, ox: c.x - W / 2, oy: c.y - H / 2 };
  }, [data]);
  const tileImgs: JSX.Element[] = [];
  if (view && tiles) {
    const n = 2 ** view.z;
    for (let tx = Math.floor(view.ox / 256); tx <= Math.floor((view.ox + W) / 256); tx++)
      for (let ty = Math.floor(view.oy / 256); ty <= Math.floor((view.oy + H) / 256); ty++) {
        if (ty < 0 || ty >= n) continue;
        const x = ((tx % n) + n) % n;
        const src = tiles.replace('{z}', String(view.z)).replace('{x}', String(x)).replace('{y}', String(ty));
        tileImgs.push(
          <img
            key={`${tx}-${ty}`}
            src={src}
            alt=""
            width={256}
            height={256}
            style={{ position: 'absolute', left: tx * 256 - view.ox, top: ty * 256 - view.oy }}
            onError={(e) => (e.currentTarget.style.display = 'none')}
          />,
        );
      }
  }
  return (
    <>
      <h1>Map</h1>
      <div className="filters">
        <label style={{ flex: 1 }}>
          Tile server URL template
          <input
            value={tiles}
            onChange={(e) => {
              setTiles(e.target.value);
              localStorage.setItem(TILE_KEY, e.target.value);
            }}
          />
        </label>
        <span className="muted">
          <span className="badge ok">in service</span> <span className="badge bad">out of service</span>
        </span>
      </div>
      <ErrorText error={error} />
      {data && data.length === 0 && (
        <p className="muted">No device has reported a position (metrics lat/lon) yet.</p>
      )}
      {view && (
        <div
          style={{
            position: 'relative',
            width: '100%',
            maxWidth: W,
            height: H,
            overflow: 'hidden',
            border: '1px solid var(--border)',
            borderRadius: 8,
            background: 'var(--bg)',
          }}
        >
          {tileImgs}
          <svg
            width={W}
            height={H}
            style={{ position: 'absolute', left: 0, top: 0 }}
            role="group"
            aria-label={`${data?.length ?? 0} device positions`}
            data-testid="map-markers"
          >
            {data?.map((p) => {
              const w = lonLatToWorld(p.lon, p.lat, view.z);
              const cx = w.x - view.ox;
              const cy = w.y - view.oy;
              return (
                <g key={p.id}>
                  <circle
                    cx={cx}
                    cy={cy}
                    r={7}
                    fill={p.out ? 'var(--bad)' : 'var(--ok)'}
                    stroke="var(--panel)"
                    strokeWidth={2}
                    tabIndex={0}
                    role="link"
                    aria-label={`${p.id}, ${p.out ? 'out of service' : 'in service'}`}
                    style={{ cursor: 'pointer' }}
                    onClick={() => navigate(`/devices/${encodeURIComponent(p.id)}`)}
                    onKeyDown={(e) => e.key === 'Enter' && navigate(`/devices/${encodeURIComponent(p.id)}`)}
                  >
                    <title>{p.id}</title>
                  </circle>
                  {/* Labels while they fit; they keep the map readable when tiles do not load. */}
                  {(data?.length ?? 0) <= LABEL_LIMIT && (
                    <text x={cx + 10} y={cy + 4} fontSize={12} fill="var(--text)" aria-hidden="true">
                      {p.id}
                    </text>
                  )}
                </g>
              );
            })}
          </svg>
        </div>
      )}
    </>
  );
}
