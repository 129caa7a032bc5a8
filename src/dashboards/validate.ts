/**
 * Strict validation of a dashboard as a user writes it: every field checked, unknown fields and
 * fields the widget's kind does not use refused, each failure a 422 naming the field
 * (`widgets[2].keys[0]`). Existence checks (the model, devices, SLOs) are the service's.
 */
import { DashboardErrors } from './errors.js';
import {
  GRID_COLUMNS,
  MAX_HEIGHT,
  MAX_KEYS,
  MAX_ROW,
  MAX_WIDGETS,
  THRESHOLD_TONES,
  WIDGET_KINDS,
  scopeModel,
  type DashboardSpec,
  type Threshold,
  type Widget,
  type WidgetKind,
} from './types.js';

type Obj = Record<string, unknown>;

const fail = (field: string, why: string): never => {
  throw DashboardErrors.invalid(field, why);
};

const KEY = /^[A-Za-z0-9_.:\-/[\]]{1,128}$/;
const ID = /^[A-Za-z0-9._-]{1,64}$/;
const WIDGET_ID = /^[A-Za-z0-9_-]{1,32}$/;
const RANGE = /^(\d{1,4})(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Longest time series range: the raw and rollup retention defaults keep about this much. */
export const MAX_RANGE_MS = 90 * 86_400_000;

/** Fields each kind uses beyond the placement (`id kind title x y w h`). */
const KIND_FIELDS: Record<WidgetKind, { required: string[]; optional: string[] }> = {
  time_series: { required: ['keys'], optional: ['device', 'range'] },
  latest_value: { required: ['key'], optional: ['device'] },
  gauge: { required: ['key', 'min', 'max'], optional: ['device', 'thresholds'] },
  service_state: { required: [], optional: ['mode', 'device'] },
  map: { required: [], optional: [] },
  table: { required: ['keys'], optional: [] },
  slo_budget: { required: ['slo'], optional: [] },
  alarm_list: { required: [], optional: ['device'] },
};
const PLACEMENT = ['id', 'kind', 'title', 'x', 'y', 'w', 'h'];

function obj(v: unknown, field: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(field, 'must be an object');
  return v as Obj;
}

function str(v: unknown, field: string, re: RegExp, what: string): string {
  if (typeof v !== 'string') fail(field, 'must be a string');
  if (!re.test(v as string)) fail(field, what);
  return v as string;
}

function text(v: unknown, field: string, max: number, min = 0): string {
  if (typeof v !== 'string') fail(field, 'must be a string');
  const s = (v as string).trim();
  if (s.length < min) fail(field, min === 1 ? 'must not be empty' : `must have at least ${min} characters`);
  if (s.length > max) fail(field, `must be at most ${max} characters`);
  return s;
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(field, 'must be an integer');
  if ((v as number) < min || (v as number) > max) fail(field, `must be between ${min} and ${max}`);
  return v as number;
}

function finite(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(field, 'must be a number');
  return v as number;
}

function onlyKnown(o: Obj, allowed: readonly string[], at: string, why: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`${at}${k}`, why);
}

/** `15m`, `1h`, `7d`… (1 minute to 90 days) or `data`; the milliseconds, or undefined for `data`. */
export function rangeMs(range: string): number | undefined {
  if (range === 'data') return undefined;
  const m = RANGE.exec(range);
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : NaN;
}

function keys(v: unknown, field: string): string[] {
  if (!Array.isArray(v)) return fail(field, 'must be a list of keys');
  if (v.length === 0) fail(field, 'must name at least one key');
  if (v.length > MAX_KEYS) fail(field, `must name at most ${MAX_KEYS} keys`);
  const out = v.map((k, i) =>
    str(k, `${field}[${i}]`, KEY, 'must be 1-128 characters of letters, digits, _ . : - / [ ]'),
  );
  const dup = out.find((k, i) => out.indexOf(k) !== i);
  if (dup !== undefined) fail(`${field}[${out.lastIndexOf(dup)}]`, `names ${dup} twice`);
  return out;
}

function thresholds(v: unknown, field: string, min: number, max: number): Threshold[] {
  if (!Array.isArray(v)) return fail(field, 'must be a list of {from, tone}');
  if (v.length > 8) fail(field, 'must have at most 8 entries');
  let last = -Infinity;
  return v.map((t, i) => {
    const at = `${field}[${i}]`;
    const o = obj(t, at);
    onlyKnown(o, ['from', 'tone'], `${at}.`, 'is not a threshold field (from, tone)');
    const from = finite(o.from, `${at}.from`);
    if (from < min || from > max) fail(`${at}.from`, `must be between min (${min}) and max (${max})`);
    if (from <= last) fail(`${at}.from`, 'must be greater than the previous threshold');
    last = from;
    if (!THRESHOLD_TONES.includes(o.tone as never))
      fail(`${at}.tone`, `must be one of ${THRESHOLD_TONES.join(', ')}`);
    return { from, tone: o.tone as Threshold['tone'] };
  });
}

function widget(v: unknown, i: number, fleet: boolean): Widget {
  const at = `widgets[${i}]`;
  const o = obj(v, at);
  if (!WIDGET_KINDS.includes(o.kind as never))
    fail(`${at}.kind`, `must be one of ${WIDGET_KINDS.join(', ')}`);
  const kind = o.kind as WidgetKind;
  const spec = KIND_FIELDS[kind];
  onlyKnown(
    o,
    [...PLACEMENT, ...spec.required, ...spec.optional],
    `${at}.`,
    `is not a field of a ${kind} widget`,
  );
  for (const r of spec.required)
    if (o[r] === undefined) fail(`${at}.${r}`, `is required for a ${kind} widget`);
  const x = int(o.x ?? 0, `${at}.x`, 0, GRID_COLUMNS - 1);
  const w = int(o.w ?? 4, `${at}.w`, 1, GRID_COLUMNS);
  if (x + w > GRID_COLUMNS) fail(`${at}.w`, `x + w must be at most ${GRID_COLUMNS} (the grid's columns)`);
  const out: Widget = {
    id: o.id === undefined ? '' : str(o.id, `${at}.id`, WIDGET_ID, 'must be 1-32 letters, digits, _ or -'),
    kind,
    x,
    y: int(o.y ?? 0, `${at}.y`, 0, MAX_ROW),
    w,
    h: int(o.h ?? 3, `${at}.h`, 1, MAX_HEIGHT),
  };
  if (o.title !== undefined) out.title = text(o.title, `${at}.title`, 120);
  if (o.device !== undefined)
    out.device = str(o.device, `${at}.device`, ID, 'must be a device id (1-64 letters, digits, . _ -)');
  if (o.keys !== undefined) out.keys = keys(o.keys, `${at}.keys`);
  if (o.key !== undefined)
    out.key = str(o.key, `${at}.key`, KEY, 'must be 1-128 characters of letters, digits, _ . : - / [ ]');
  if (kind === 'time_series') {
    if (o.range !== undefined && typeof o.range !== 'string') fail(`${at}.range`, 'must be a string');
    out.range = typeof o.range === 'string' ? o.range : '1h';
    const ms = rangeMs(out.range);
    if (Number.isNaN(ms) || (ms !== undefined && (ms < 60_000 || ms > MAX_RANGE_MS)))
      fail(`${at}.range`, 'must be a duration from 1m to 90d (15m, 1h, 24h, 7d…) or "data"');
  }
  if (kind === 'gauge') {
    out.min = finite(o.min, `${at}.min`);
    out.max = finite(o.max, `${at}.max`);
    if (out.max <= out.min) fail(`${at}.max`, 'must be greater than min');
    if (o.thresholds !== undefined)
      out.thresholds = thresholds(o.thresholds, `${at}.thresholds`, out.min, out.max);
  }
  if (kind === 'service_state') {
    const mode = o.mode ?? (o.device !== undefined ? 'device' : 'counts');
    if (mode !== 'counts' && mode !== 'device') fail(`${at}.mode`, 'must be counts or device');
    out.mode = mode as 'counts' | 'device';
    if (mode === 'counts' && out.device !== undefined)
      fail(`${at}.device`, 'is only for mode "device" (counts cover the whole scope)');
  }
  if (kind === 'slo_budget') out.slo = str(o.slo, `${at}.slo`, ID, 'must be an SLO id');
  const deviceBound =
    kind === 'time_series' || kind === 'latest_value' || kind === 'gauge' || out.mode === 'device';
  if (fleet && deviceBound && out.device === undefined)
    fail(
      `${at}.device`,
      `is required for a ${kind} widget on a fleet dashboard (a model dashboard uses the device it is opened for)`,
    );
  return out;
}

/** Check a dashboard body or YAML document; returns the normalised spec (widget ids assigned). */
export function validateDashboard(v: unknown): DashboardSpec {
  const o = obj(v, 'body');
  onlyKnown(
    o,
    ['name', 'description', 'scope', 'customer', 'widgets', 'id', 'version', 'createdAt', 'updatedAt'],
    '',
    'is not a dashboard field',
  );
  const name = text(o.name, 'name', 120, 1);
  if (typeof o.scope !== 'string') fail('scope', 'must be "fleet" or "model:<modelId>"');
  const scope = o.scope as string;
  const model = scopeModel(scope);
  if (scope !== 'fleet' && (model === undefined || !ID.test(model)))
    fail('scope', 'must be "fleet" or "model:<modelId>"');
  const spec: DashboardSpec = { name, scope, widgets: [] };
  if (o.description !== undefined) spec.description = text(o.description, 'description', 2000);
  if (o.customer !== undefined && o.customer !== null)
    spec.customer = str(o.customer, 'customer', ID, 'must be a customer id');
  const list = o.widgets ?? [];
  if (!Array.isArray(list)) return fail('widgets', 'must be a list');
  if (list.length > MAX_WIDGETS) fail('widgets', `must have at most ${MAX_WIDGETS} widgets`);
  spec.widgets = list.map((w, i) => widget(w, i, scope === 'fleet'));
  const taken = new Set<string>();
  spec.widgets.forEach((w, i) => {
    if (w.id === '') return;
    if (taken.has(w.id)) fail(`widgets[${i}].id`, `${w.id} is used by another widget`);
    taken.add(w.id);
  });
  let n = 0;
  for (const w of spec.widgets)
    if (w.id === '') {
      while (taken.has(`w${++n}`));
      w.id = `w${n}`;
      taken.add(w.id);
    }
  return spec;
}
