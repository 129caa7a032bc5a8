/**
 * The fleet on a map (lazy-loaded: MapLibre and the world outlines are fetched only on this page).
 * The raster tile URL template is kept per browser in localStorage (`tsunagu.tileUrl`). Empty (the
 * default): the bundled country outlines only, which works offline.
 */
import { useMemo, useState } from 'react';
import { ErrorText } from '../components/bits';
import { DeviceMap } from '../components/DeviceMap';
import { useLoad } from '../hooks';
import { loadPositions, STATE_LABEL, type MapState } from '../map-data';
import { navigate } from '../router';

export const TILE_KEY = 'tsunagu.tileUrl';

export default function MapPage(): JSX.Element {
  const { data, error, loading } = useLoad(loadPositions, []);
  const [tiles, setTiles] = useState(() => localStorage.getItem(TILE_KEY) ?? '');
  const [applied, setApplied] = useState(tiles);
  const counts = useMemo(() => {
    const c: Record<MapState, number> = { ok: 0, offline: 0, out: 0 };
    for (const p of data ?? []) c[p.state]++;
    return c;
  }, [data]);
  return (
    <>
      <h1>Map</h1>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          localStorage.setItem(TILE_KEY, tiles.trim());
          setApplied(tiles.trim());
        }}
      >
        <label style={{ flex: 1 }}>
          Tile server URL template (empty: offline outlines only)
          <input
            value={tiles}
            placeholder="https://tile.example.org/{z}/{x}/{y}.png"
            onChange={(e) => setTiles(e.target.value)}
          />
        </label>
        <button type="submit" className="secondary">
          Apply
        </button>
      </form>
      <p className="map-legend" data-testid="map-legend">
        {(['ok', 'out', 'offline'] as MapState[]).map((s) => (
          <span key={s}>
            <span className={`map-swatch ${s}`} aria-hidden="true" /> {STATE_LABEL[s]}:{' '}
            <strong>{counts[s].toLocaleString('en')}</strong>
          </span>
        ))}
      </p>
      <ErrorText error={error} />
      {loading && !data && <p className="muted">Loading positions…</p>}
      {data && data.length === 0 && (
        <p className="muted">No device has reported a position (metrics lat/lon) yet.</p>
      )}
      {data && data.length > 0 && (
        <DeviceMap
          points={data}
          tileUrl={applied}
          onOpen={(id) => navigate(`/devices/${encodeURIComponent(id)}`)}
        />
      )}
    </>
  );
}
