/**
 * The console's map: MapLibre GL JS (WebGL) with the fleet's positions in a clustered GeoJSON
 * source (clustering runs in MapLibre's worker, so 100,000 devices stay smooth), coloured by state
 * (in service, out of service, offline, maintenance, retired).
 * The base layer is Natural Earth's 110m country outlines (world-atlas, public domain), bundled with
 * this chunk so the map works offline; a raster tile URL template (`{z}/{x}/{y}`), when set, is
 * drawn beneath the outlines for online use. Counts and device markers are HTML buttons placed over
 * the rendered clusters and points (no glyph server is needed, and they are reachable by keyboard):
 * a cluster zooms in, a device opens its page.
 */
import { useEffect, useRef } from 'react';
import {
  Map as MapLibre,
  Marker,
  NavigationControl,
  setWorkerUrl,
  type GeoJSONSource,
  type MapGeoJSONFeature,
  type StyleSpecification,
} from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import './device-map.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import countries110m from 'world-atlas/countries-110m.json';
import { clusterState, STATE_LABEL, type DevicePoint, type MapState } from '../map-data';

setWorkerUrl(workerUrl);

/** At most this many HTML markers at once (the rest stay WebGL circles, clickable all the same). */
const MARKER_LIMIT = 400;

let world: GeoJSON.FeatureCollection | undefined;
function worldOutlines(): GeoJSON.FeatureCollection {
  const topo = countries110m as unknown as Topology<{ countries: GeometryCollection }>;
  world ??= feature(topo, topo.objects.countries) as GeoJSON.FeatureCollection;
  return world;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function style(tileUrl: string): StyleSpecification {
  const raster = tileUrl.trim();
  return {
    version: 8,
    sources: {
      world: { type: 'geojson', data: worldOutlines() },
      ...(raster ? { tiles: { type: 'raster' as const, tiles: [raster], tileSize: 256, maxzoom: 19 } } : {}),
    },
    layers: [
      { id: 'sea', type: 'background', paint: { 'background-color': cssVar('--bg', '#f6f7f9') } },
      ...(raster ? [{ id: 'tiles', type: 'raster' as const, source: 'tiles' }] : []),
      {
        id: 'land',
        type: 'fill',
        source: 'world',
        paint: { 'fill-color': cssVar('--panel', '#fff'), 'fill-opacity': raster ? 0 : 1 },
      },
      {
        id: 'borders',
        type: 'line',
        source: 'world',
        paint: { 'line-color': cssVar('--border', '#d8dde3'), 'line-width': 1 },
      },
    ],
  };
}

export function toGeoJson(points: DevicePoint[]): GeoJSON.FeatureCollection<GeoJSON.Point> {
  return {
    type: 'FeatureCollection',
    features: points.map((p) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
      properties: { id: p.id, state: p.state },
    })),
  };
}

function bounds(points: DevicePoint[]): [[number, number], [number, number]] | undefined {
  if (points.length === 0) return undefined;
  let [w, s, e, n] = [180, 90, -180, -90];
  for (const p of points) {
    w = Math.min(w, p.lon);
    e = Math.max(e, p.lon);
    s = Math.min(s, p.lat);
    n = Math.max(n, p.lat);
  }
  return [
    [w, s],
    [e, n],
  ];
}

/** States counted per cluster (clusterProperties); in service is the rest. */
const COUNTED = ['out', 'offline', 'maintenance', 'retired'] as const;

function clusterCounts(props: Record<string, unknown>): Record<(typeof COUNTED)[number], number> {
  return {
    out: Number(props.out),
    offline: Number(props.offline),
    maintenance: Number(props.maintenance),
    retired: Number(props.retired),
  };
}

export interface DeviceMapProps {
  points: DevicePoint[];
  tileUrl: string;
  onOpen: (id: string) => void;
  height?: number;
}

export function DeviceMap({ points, tileUrl, onOpen, height = 560 }: DeviceMapProps): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const map = useRef<MapLibre | null>(null);
  const open = useRef(onOpen);
  open.current = onOpen;
  const loaded = useRef(false);
  const pending = useRef(points);
  pending.current = points;

  useEffect(() => {
    const colour: Record<MapState, string> = {
      ok: cssVar('--ok', '#1a7f37'),
      offline: cssVar('--muted', '#5b6570'),
      out: cssVar('--bad', '#c62828'),
      maintenance: cssVar('--warn', '#9a6700'),
      retired: cssVar('--retired', '#6e40c9'),
    };
    const b = bounds(pending.current);
    const m = new MapLibre({
      container: box.current!,
      style: style(tileUrl),
      ...(b ? { bounds: b, fitBoundsOptions: { padding: 40, maxZoom: 14 } } : { center: [0, 20], zoom: 1 }),
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
    });
    map.current = m;
    m.addControl(new NavigationControl({ showCompass: false }), 'top-right');
    m.keyboard.disableRotation();
    const markers = new Map<string, Marker>();
    let marked = false;
    const drawMarkers = (): void => {
      if (!m.getSource('devices') || !m.isSourceLoaded('devices')) return;
      if (!marked) {
        marked = true;
        // The render benchmark (src/bench/console-render.ts) reads these: clusters are on screen.
        performance.mark('tsunagu:map-ready');
      }
      performance.mark('tsunagu:map-idle');
      const feats = m.queryRenderedFeatures({ layers: ['clusters', 'points'] });
      const want = new Map<string, MapGeoJSONFeature>();
      for (const f of feats.slice(0, MARKER_LIMIT)) {
        const key = f.properties.cluster
          ? `c${String(f.properties.cluster_id)}`
          : `d${String(f.properties.id)}`;
        want.set(key, f);
      }
      for (const [key, mk] of markers)
        if (!want.has(key)) {
          mk.remove();
          markers.delete(key);
        }
      for (const [key, f] of want) {
        if (markers.has(key)) continue;
        const p = f.properties;
        const at = (f.geometry as GeoJSON.Point).coordinates as [number, number];
        const el = document.createElement('button');
        el.type = 'button';
        if (p.cluster) {
          const n = Number(p.point_count);
          const counts = clusterCounts(p);
          el.className = `map-cluster ${clusterState(counts, n)}`;
          el.textContent = n >= 1000 ? `${Math.round(n / 100) / 10}k` : String(n);
          const held = COUNTED.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${STATE_LABEL[s]}`);
          el.setAttribute('aria-label', `${n} devices${held.length ? ` (${held.join(', ')})` : ''}; zoom in`);
          el.addEventListener('click', (e) => {
            e.stopPropagation();
            void m
              .getSource<GeoJSONSource>('devices')!
              .getClusterExpansionZoom(Number(p.cluster_id))
              .then((zoom) => m.easeTo({ center: at, zoom }));
          });
        } else {
          const state = p.state as MapState;
          el.className = `map-point ${state}`;
          el.setAttribute('aria-label', `${String(p.id)}, ${STATE_LABEL[state]}`);
          el.title = String(p.id);
          el.dataset.device = String(p.id);
          el.addEventListener('click', (e) => {
            e.stopPropagation();
            open.current(String(p.id));
          });
        }
        markers.set(key, new Marker({ element: el }).setLngLat(at).addTo(m));
      }
    };
    m.on('load', () => {
      m.addSource('devices', {
        type: 'geojson',
        data: toGeoJson(pending.current),
        cluster: true,
        clusterRadius: 50,
        clusterMaxZoom: 16,
        clusterProperties: Object.fromEntries(
          COUNTED.map((s) => [s, ['+', ['case', ['==', ['get', 'state'], s], 1, 0]]]),
        ),
      });
      // The same order as clusterState (map-data.ts), as a MapLibre expression.
      const worst = (ok: string): unknown[] => [
        'case',
        ['>', ['get', 'out'], 0],
        colour.out,
        ['>', ['get', 'offline'], 0],
        colour.offline,
        ['>', ['get', 'maintenance'], 0],
        colour.maintenance,
        ['==', ['get', 'retired'], ['get', 'point_count']],
        colour.retired,
        ok,
      ];
      m.addLayer({
        id: 'clusters',
        type: 'circle',
        source: 'devices',
        filter: ['has', 'point_count'],
        paint: {
          'circle-color': worst(colour.ok) as never,
          'circle-radius': ['step', ['get', 'point_count'], 14, 100, 18, 1000, 22, 10000, 27],
          'circle-opacity': 0.85,
          'circle-stroke-color': '#fff',
          'circle-stroke-width': 2,
        },
      });
      m.addLayer({
        id: 'points',
        type: 'circle',
        source: 'devices',
        filter: ['!', ['has', 'point_count']],
        paint: {
          'circle-color': [
            'match',
            ['get', 'state'],
            ...COUNTED.flatMap((s) => [s, colour[s]]),
            colour.ok,
          ] as never,
          'circle-radius': 7,
          'circle-stroke-color': '#fff',
          'circle-stroke-width': 2,
        },
      });
      m.on('click', 'points', (e) => {
        const id = e.features?.[0]?.properties.id as string | undefined;
        if (id) open.current(id);
      });
      m.on('click', 'clusters', (e) => {
        const f = e.features?.[0];
        if (!f) return;
        void m
          .getSource<GeoJSONSource>('devices')!
          .getClusterExpansionZoom(Number(f.properties.cluster_id))
          .then((zoom) =>
            m.easeTo({ center: (f.geometry as GeoJSON.Point).coordinates as [number, number], zoom }),
          );
      });
      for (const l of ['points', 'clusters']) {
        m.on('mouseenter', l, () => (m.getCanvas().style.cursor = 'pointer'));
        m.on('mouseleave', l, () => (m.getCanvas().style.cursor = ''));
      }
      loaded.current = true;
    });
    // Cluster ids differ per zoom level, so the diff in drawMarkers replaces them after a zoom.
    m.on('idle', drawMarkers);
    return () => {
      loaded.current = false;
      m.remove();
      map.current = null;
    };
  }, [tileUrl]);

  useEffect(() => {
    const m = map.current;
    if (!m || !loaded.current) return;
    void m.getSource<GeoJSONSource>('devices')?.setData(toGeoJson(points));
  }, [points]);

  return (
    <div
      ref={box}
      className="device-map"
      style={{ height }}
      role="region"
      aria-label={`Map of ${points.length} devices`}
      data-testid="device-map"
      data-tiles={tileUrl.trim()}
    />
  );
}
