/**
 * The fleet on a map (lazy-loaded: MapLibre and the world outlines are fetched only on this page).
 * Tiles: the platform's default (`--map-tiles-url`, read from `GET /auth/session`) unless this
 * browser set its own URL template (localStorage `tsunagu.tileUrl`; empty there means outlines
 * only). Without either, the bundled country outlines only, which works offline.
 */
import { useMemo, useState } from 'react';
import { call } from '../api';
import { ErrorText } from '../components/bits';
import { DeviceMap } from '../components/DeviceMap';
import { useLoad } from '../hooks';
import { countStates, LEGEND_ORDER, loadPositions, STATE_LABEL } from '../map-data';
import { navigate } from '../router';

export const TILE_KEY = 'tsunagu.tileUrl';

export default function MapPage(): JSX.Element {
  const { data, error, loading } = useLoad(loadPositions, []);
  const settings = useLoad(() => call('/auth/session', 'get'), []);
  if (settings.loading && !settings.data && !settings.error) return <p className="muted">Loading the map…</p>;
  const serverTiles = settings.data?.console?.mapTilesUrl ?? '';
  return (
    <MapView
      key={serverTiles}
      serverTiles={serverTiles}
      points={data}
      error={error ?? settings.error}
      loading={loading}
    />
  );
}

function MapView({
  serverTiles,
  points,
  error,
  loading,
}: {
  serverTiles: string;
  points: Awaited<ReturnType<typeof loadPositions>> | undefined;
  error: string | undefined;
  loading: boolean;
}): JSX.Element {
  const [own, setOwn] = useState(() => localStorage.getItem(TILE_KEY));
  const applied = own ?? serverTiles;
  const [tiles, setTiles] = useState(applied);
  const counts = useMemo(() => countStates(points ?? []), [points]);
  const apply = (url: string | null): void => {
    if (url === null) localStorage.removeItem(TILE_KEY);
    else localStorage.setItem(TILE_KEY, url);
    setOwn(url);
    setTiles(url ?? serverTiles);
  };
  return (
    <>
      <h1>Map</h1>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          apply(tiles.trim());
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
        {own !== null && (
          <button type="button" className="secondary" onClick={() => apply(null)}>
            Use the platform&apos;s default
          </button>
        )}
      </form>
      <p className="muted" data-testid="tiles-source">
        {own !== null
          ? 'Tiles: this browser’s setting.'
          : serverTiles
            ? 'Tiles: the platform’s default (--map-tiles-url).'
            : 'Tiles: none configured; the bundled outlines work offline.'}
      </p>
      <p className="map-legend" data-testid="map-legend">
        {LEGEND_ORDER.map((s) => (
          <span key={s}>
            <span className={`map-swatch ${s}`} aria-hidden="true" /> {STATE_LABEL[s]}:{' '}
            <strong>{counts[s].toLocaleString('en')}</strong>
          </span>
        ))}
      </p>
      <ErrorText error={error} />
      {loading && !points && <p className="muted">Loading positions…</p>}
      {points && points.length === 0 && (
        <p className="muted">No device has reported a position (metrics lat/lon) yet.</p>
      )}
      {points && points.length > 0 && (
        <DeviceMap
          points={points}
          tileUrl={applied}
          onOpen={(id) => navigate(`/devices/${encodeURIComponent(id)}`)}
        />
      )}
    </>
  );
}
