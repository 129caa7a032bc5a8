/**
 * The dashboard a model gets before anyone designs one: the device's service state, a latest-value
 * tile per field (text fields too: firmware, rider), one time series of the numeric fields, and,
 * for a model whose devices report a position, a map. Generated on request, never stored; saving it
 * (POST /dashboards) makes it an ordinary dashboard to edit.
 */
import type { ModelField } from './model-fields.js';
import { GRID_COLUMNS, MAX_KEYS, type Dashboard, type Widget } from './types.js';

/** Latest-value tiles on a default dashboard (a model with 200 fields gets the first ones). */
export const MAX_DEFAULT_TILES = 24;
const TILE_W = 3;
const TILE_H = 2;
const POSITION = new Set(['lat', 'lon', 'latitude', 'longitude']);

export function defaultDashboard(model: string, fields: ModelField[], now: number): Dashboard {
  const widgets: Widget[] = [
    {
      id: 'state',
      kind: 'service_state',
      title: 'Service state',
      mode: 'device',
      x: 0,
      y: 0,
      w: TILE_W,
      h: TILE_H,
    },
  ];
  const tiles = fields.filter((f) => !POSITION.has(f.key)).slice(0, MAX_DEFAULT_TILES);
  tiles.forEach((f, i) => {
    const slot = i + 1; // after the service state tile
    widgets.push({
      id: `latest-${i + 1}`,
      kind: 'latest_value',
      key: f.key,
      x: (slot % (GRID_COLUMNS / TILE_W)) * TILE_W,
      y: Math.floor(slot / (GRID_COLUMNS / TILE_W)) * TILE_H,
      w: TILE_W,
      h: TILE_H,
    });
  });
  let y = Math.ceil((tiles.length + 1) / (GRID_COLUMNS / TILE_W)) * TILE_H;
  const numeric = fields.filter((f) => f.kind === 'number' && !POSITION.has(f.key));
  // One chart per unit keeps each y axis readable (volts beside percent flattens one of them).
  const byUnit = new Map<string, string[]>();
  for (const f of numeric) {
    const u = f.unit ?? '';
    const keys = byUnit.get(u) ?? [];
    if (keys.length < MAX_KEYS) keys.push(f.key);
    byUnit.set(u, keys);
  }
  let n = 0;
  for (const [unit, keys] of byUnit) {
    if (n >= 4) break;
    widgets.push({
      id: `series-${++n}`,
      kind: 'time_series',
      title: unit ? `${keys.join(', ')} (${unit})` : keys.join(', '),
      keys,
      range: 'data',
      x: 0,
      y,
      w: GRID_COLUMNS,
      h: 4,
    });
    y += 4;
  }
  const keys = new Set(fields.map((f) => f.key));
  if ((keys.has('lat') && keys.has('lon')) || (keys.has('latitude') && keys.has('longitude')))
    widgets.push({ id: 'map', kind: 'map', title: 'Where', x: 0, y, w: GRID_COLUMNS, h: 6 });
  return {
    id: `default:${model}`,
    name: `${model} (default)`,
    description: `Generated from model ${model}'s decoder fields and reported keys`,
    scope: `model:${model}`,
    widgets,
    version: 0,
    createdAt: now,
    updatedAt: now,
  };
}
