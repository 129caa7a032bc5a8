/** Pure helpers of the dashboard grid and widgets (tested in layout.test.ts). */
import type { ModelField, Widget, WidgetKind } from './types';

export const COLUMNS = 12;
export const MAX_H = 24;
/** Height of one grid row in pixels. */
export const ROW_PX = 72;

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** The widget moved by (dx, dy) cells, kept on the grid. */
export function moved(w: Widget, dx: number, dy: number): Widget {
  return { ...w, x: clamp(w.x + dx, 0, COLUMNS - w.w), y: clamp(w.y + dy, 0, 200) };
}

/** The widget grown or shrunk by (dw, dh) cells, kept on the grid. */
export function resized(w: Widget, dw: number, dh: number): Widget {
  return { ...w, w: clamp(w.w + dw, 1, COLUMNS - w.x), h: clamp(w.h + dh, 1, MAX_H) };
}

/** One grid step in pixels: a column (the grid's width shared by 12 columns and their gaps) and a row. */
export function cellSize(gridWidth: number, gap: number): { col: number; row: number } {
  return { col: (gridWidth + gap) / COLUMNS, row: ROW_PX + gap };
}

/**
 * The widget after a pointer drag of (dxPx, dyPx) since the drag began on `start`: moved or
 * resized by the nearest whole number of cells, kept on the grid.
 */
export function dragged(
  start: Widget,
  mode: 'move' | 'resize',
  dxPx: number,
  dyPx: number,
  cell: { col: number; row: number },
): Widget {
  const dx = Math.round(dxPx / cell.col);
  const dy = Math.round(dyPx / cell.row);
  return mode === 'move' ? moved(start, dx, dy) : resized(start, dx, dy);
}

/** An arrow key as one cell's step (undefined for any other key). */
export function arrowStep(key: string): [number, number] | undefined {
  const steps: Record<string, [number, number]> = {
    ArrowLeft: [-1, 0],
    ArrowRight: [1, 0],
    ArrowUp: [0, -1],
    ArrowDown: [0, 1],
  };
  return steps[key];
}

/** The first row below every widget (where a new one goes). */
export function nextFreeRow(widgets: readonly Widget[]): number {
  return widgets.reduce((m, w) => Math.max(m, w.y + w.h), 0);
}

/** An id not used by any widget. */
export function freshId(widgets: readonly Widget[]): string {
  const taken = new Set(widgets.map((w) => w.id));
  let n = widgets.length + 1;
  while (taken.has(`w${n}`)) n++;
  return `w${n}`;
}

/**
 * A new widget of `kind` with a sensible starting config: the first numeric keys of the scope's
 * fields, the device pinned on a fleet dashboard (required there), placed below the others.
 */
export function newWidget(
  kind: WidgetKind,
  widgets: readonly Widget[],
  opts: { fields: readonly ModelField[]; device?: string | undefined; fleet: boolean },
): Widget {
  const numeric = opts.fields.filter((f) => f.kind === 'number').map((f) => f.key);
  const any = opts.fields.map((f) => f.key);
  const base = { id: freshId(widgets), kind, x: 0, y: nextFreeRow(widgets) };
  const pin = opts.fleet && opts.device ? { device: opts.device } : {};
  switch (kind) {
    case 'time_series':
      return {
        ...base,
        w: 12,
        h: 4,
        ...pin,
        keys: numeric.slice(0, 2).length ? numeric.slice(0, 2) : ['value'],
        range: '1h',
      };
    case 'latest_value':
      return { ...base, w: 3, h: 2, ...pin, key: any[0] ?? 'value' };
    case 'gauge':
      return { ...base, w: 3, h: 3, ...pin, key: numeric[0] ?? 'value', min: 0, max: 100 };
    case 'service_state':
      return { ...base, w: 3, h: 2, mode: 'counts' };
    case 'map':
      return { ...base, w: 12, h: 5 };
    case 'table':
      return { ...base, w: 12, h: 4, keys: numeric.slice(0, 3).length ? numeric.slice(0, 3) : ['value'] };
    case 'slo_budget':
      return { ...base, w: 4, h: 2, slo: '' };
    case 'alarm_list':
      return { ...base, w: 6, h: 3 };
  }
}

/** `15m`, `6h`, `7d` in milliseconds; undefined for `data` (fit the axis to the data of the last 24 h). */
export function rangeMs(range: string | undefined): number | undefined {
  const m = /^(\d+)(m|h|d)$/.exec(range ?? '');
  if (!m) return undefined;
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}

/** The tone of a gauge value: the last threshold at or below it (none: neutral). */
export function gaugeTone(
  value: number,
  thresholds: readonly { from: number; tone: 'ok' | 'warn' | 'bad' }[] | undefined,
): 'ok' | 'warn' | 'bad' | undefined {
  let tone: 'ok' | 'warn' | 'bad' | undefined;
  for (const t of thresholds ?? []) if (value >= t.from) tone = t.tone;
  return tone;
}

/** Where the value sits between min and max, 0-1 (clamped). */
export function gaugeShare(value: number, min: number, max: number): number {
  return max > min ? clamp((value - min) / (max - min), 0, 1) : 0;
}

/** Latest values (one row per device × key) as table rows: device id, then a cell per key. */
export function tableRows(
  items: readonly { deviceId?: string; metric?: string; value?: number | null; text?: string | null }[],
  keys: readonly string[],
  limit = 200,
): { deviceId: string; cells: (string | number | null)[] }[] {
  const by = new Map<string, Map<string, string | number | null>>();
  for (const i of items) {
    if (!i.deviceId || !i.metric || !keys.includes(i.metric)) continue;
    const row = by.get(i.deviceId) ?? new Map<string, string | number | null>();
    row.set(i.metric, i.value ?? i.text ?? null);
    by.set(i.deviceId, row);
  }
  return [...by.keys()]
    .sort()
    .slice(0, limit)
    .map((deviceId) => ({ deviceId, cells: keys.map((k) => by.get(deviceId)?.get(k) ?? null) }));
}

/** A value with its unit: `1.4 bar`, `55 °C`; text as is; none as an em dash. */
export function withUnit(v: string | number | null | undefined, unit: string | undefined): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  const n = Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  if (!unit) return n;
  return `${n} ${UNIT_SYMBOL[unit] ?? unit}`;
}

const UNIT_SYMBOL: Record<string, string> = { degC: '°C', degF: '°F', percent: '%', pct: '%' };
