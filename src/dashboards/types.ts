/**
 * The shapes of a dashboard (docs/dashboards.md): a named page of widgets on a 12-column grid,
 * scoped to the whole fleet or to one device model, optionally to one customer.
 */

/** Columns of the grid every dashboard is laid out on. */
export const GRID_COLUMNS = 12;
/** Rows a widget may start at (a dashboard is a page, not an endless scroll). */
export const MAX_ROW = 200;
/** Rows one widget may span. */
export const MAX_HEIGHT = 24;
export const MAX_WIDGETS = 64;
/** Keys one time series or table widget may show. */
export const MAX_KEYS = 8;

/**
 * Widget kinds. `alarm_list` is not among them: there is no alarms API to read from yet
 * (docs/dashboards.md says what it will take).
 */
export const WIDGET_KINDS = [
  'time_series', // several keys of one device over a time range
  'latest_value', // one key's latest value with the unit from the model
  'gauge', // one numeric key between min and max, coloured by thresholds
  'service_state', // the scope's devices counted by service state, or one device's state
  'map', // the scope's devices that report lat/lon
  'table', // the scope's devices × chosen keys (latest values)
  'slo_budget', // one SLO's error budget
  'alarm_list', // active alarms (of one device, or of the scope's devices on a model dashboard)
] as const;
export type WidgetKind = (typeof WIDGET_KINDS)[number];

export const THRESHOLD_TONES = ['ok', 'warn', 'bad'] as const;
export type ThresholdTone = (typeof THRESHOLD_TONES)[number];

export interface Threshold {
  /** From this value up (until the next threshold) the gauge shows `tone`. */
  from: number;
  tone: ThresholdTone;
}

/** A widget as stored: the common placement plus the fields its kind uses (validate.ts). */
export interface Widget {
  /** Unique within the dashboard (assigned `w1`, `w2`… when not given). */
  id: string;
  kind: WidgetKind;
  title?: string;
  /** Grid placement: column 0-11, row ≥ 0, width in columns, height in rows. */
  x: number;
  y: number;
  w: number;
  h: number;
  /**
   * The device a device-bound widget reads (time series, latest value, gauge, service state of one
   * device). On a model dashboard it may be left out: the device picked when viewing is used.
   */
  device?: string;
  /** time_series, table: the keys shown. */
  keys?: string[];
  /** latest_value, gauge: the key shown. */
  key?: string;
  /** time_series: how far back (`15m`, `1h`, `24h`, `7d`…), or `data` for the range of the data itself. */
  range?: string;
  /** gauge bounds and thresholds (ascending `from`). */
  min?: number;
  max?: number;
  thresholds?: Threshold[];
  /** service_state: `counts` over the scope, or `device` (one device's state). */
  mode?: 'counts' | 'device';
  /** slo_budget: the SLO id. */
  slo?: string;
}

/** `fleet`, or `model:<modelId>` (a model dashboard, opened for one of the model's devices). */
export type DashboardScope = string;

/** What a user writes (API body, YAML document). */
export interface DashboardSpec {
  name: string;
  description?: string;
  scope: DashboardScope;
  /** Only this customer's users (and staff) see it. */
  customer?: string;
  widgets: Widget[];
}

export interface Dashboard extends DashboardSpec {
  id: string;
  /** Incremented by every update (If-Match refuses a stale edit). */
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** The model a scope names, or undefined for `fleet`. */
export function scopeModel(scope: DashboardScope): string | undefined {
  return scope.startsWith('model:') ? scope.slice('model:'.length) : undefined;
}
