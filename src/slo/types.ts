/**
 * SLO definitions as stored and served by the API. `parseSloDefinition` (definition.ts) turns any
 * input (JSON body, Tsunagu YAML, OpenSLO) into this normalized shape: defaults expanded, so that
 * export → import is stable.
 */

/** Which devices an SLI counts. Every given field must match (AND). */
export interface DeviceSelector {
  model?: string;
  /** The device's model is one of these (e.g. the fleet's vehicles, leaving monitors out). */
  models?: string[];
  tag?: string;
  device?: string;
}

/** Bus events a user-defined ratio SLI may count. */
export const RATIO_EVENTS = [
  'heartbeat.checked',
  'command.finished',
  'service-state.changed',
  'device.message',
  'device.event',
  'device.changed',
  'schedule.execution',
] as const;
export type RatioEventName = (typeof RATIO_EVENTS)[number];

export const FILTER_OPS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/** `field` is a dot path into the event payload (`status`, `fields.code`). */
export interface FieldCondition {
  field: string;
  op: FilterOp;
  value: string | number | boolean;
}

export interface EventFilter {
  event: RatioEventName;
  /** All conditions must hold (AND); none means every event of the kind. */
  where: FieldCondition[];
}

export type SliSpec =
  /** heartbeats received / expected ('heartbeat.checked') */
  | { type: 'heartbeat' }
  /** succeeded / finished commands, optionally one command name */
  | { type: 'command-success'; command?: string }
  /** succeeded within `thresholdMs` / finished */
  | { type: 'command-latency'; command?: string; thresholdMs: number; latency: 'reply' | 'confirm' }
  /** device-minutes in service / device-minutes registered and not retired or in maintenance */
  | { type: 'availability' }
  /** device messages without a hardware error / messages */
  | { type: 'hardware-health' }
  /** decoded device messages / messages */
  | { type: 'decode-health' }
  /**
   * schedule executions verified (within `thresholdMs` of becoming due, when given) / executions due
   * (verified + failed + superseded; overridden ones are a person's choice and not counted)
   */
  | { type: 'schedule-applied'; thresholdMs?: number }
  /** user-defined: events matching `good` (and `total`) / events matching `total` */
  | { type: 'ratio'; good: EventFilter; total: EventFilter };

export type SliType = SliSpec['type'];
export const SLI_TYPES: readonly SliType[] = [
  'heartbeat',
  'command-success',
  'command-latency',
  'availability',
  'hardware-health',
  'decode-health',
  'schedule-applied',
  'ratio',
];

export type Sli = SliSpec & { selector: DeviceSelector };

export type CalendarUnit = 'week' | 'month' | 'quarter';

export type SloWindow =
  | { kind: 'rolling'; /** minutes */ minutes: number }
  | { kind: 'calendar'; unit: CalendarUnit; timeZone: string };

export type Budgeting =
  | { method: 'occurrences' }
  /** one-minute slices; a slice is good when its ratio ≥ sliceTarget; minutes without events are skipped */
  | { method: 'timeslices'; sliceTarget: number };

export interface AlertTier {
  /** unique within the SLO, e.g. `page-1h` */
  name: string;
  severity: 'page' | 'ticket';
  longMinutes: number;
  shortMinutes: number;
  /**
   * Share of the budget that may burn within the long window before the tier fires (Google SRE
   * Workbook, ch. 5); the threshold is `budgetShare × window / long window`. Ignored when
   * `burnRate` is set.
   */
  budgetShare?: number;
  /** Fixed burn-rate threshold (does not scale with the window). */
  burnRate?: number;
  /** `gte`: fire when the burn rate reaches the threshold (OpenSLO `op: gte`); default: exceeds it. */
  op?: 'gte';
  /** The condition must hold this many minutes in a row before the tier fires (OpenSLO `alertAfter`). */
  alertAfterMinutes?: number;
  /** false: resolving is recorded but not announced (OpenSLO `alertWhenResolved: false`). */
  notifyResolved?: false;
}

export interface AlertingSpec {
  /** Events (or slices) required in the long window before a tier may fire (low-traffic protection). */
  minEvents: number;
  tiers: AlertTier[];
  /**
   * Emit `slo.budget-exhausted` (notify sends it) when the budget reaches zero. Default: true,
   * except with `tiers: []` ("no alerts"), where it is false unless given.
   */
  budgetExhausted: boolean;
}

export interface SloDefinition {
  /** RFC 1123 label; also the id in the API (`/slos/{name}`) and OpenSLO `metadata.name`. */
  name: string;
  displayName?: string;
  description?: string;
  service?: string;
  sli: Sli;
  /** e.g. 0.999; in (0, 1) */
  target: number;
  window: SloWindow;
  budgeting: Budgeting;
  alerting: AlertingSpec;
}

export const DEFAULT_MIN_EVENTS = 20;

/** Google SRE Workbook, "Multiwindow, Multi-Burn-Rate Alerts", recommended for a 30-day SLO. */
export function defaultTiers(): AlertTier[] {
  return [
    { name: 'page-1h', severity: 'page', longMinutes: 60, shortMinutes: 5, budgetShare: 0.02 },
    { name: 'page-6h', severity: 'page', longMinutes: 360, shortMinutes: 30, budgetShare: 0.05 },
    { name: 'ticket-3d', severity: 'ticket', longMinutes: 4320, shortMinutes: 360, budgetShare: 0.1 },
  ];
}

/** The burn-rate windows reported by status and /metrics. */
export const BURN_WINDOWS: readonly { label: string; minutes: number }[] = [
  { label: '5m', minutes: 5 },
  { label: '30m', minutes: 30 },
  { label: '1h', minutes: 60 },
  { label: '2h', minutes: 120 },
  { label: '6h', minutes: 360 },
  { label: '1d', minutes: 1440 },
  { label: '3d', minutes: 4320 },
];
