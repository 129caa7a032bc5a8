/**
 * Validation and normalization of SLO definitions in Tsunagu's own shape (API JSON and
 * `?format=tsunagu` YAML). Errors name the field path; unknown fields are collected as warnings
 * (import) or rejected (API, `strict`). Defaults are expanded here so that stored definitions are
 * explicit and export → import round-trips.
 */
import { isValidTimeZone } from './calendar.js';
import { formatDurationMinutes, parseDurationMinutes } from './duration.js';
import { SloErrors } from './errors.js';
import {
  DEFAULT_MIN_EVENTS,
  defaultTiers,
  FILTER_OPS,
  RATIO_EVENTS,
  SLI_TYPES,
  type AlertTier,
  type Budgeting,
  type DeviceSelector,
  type EventFilter,
  type FieldCondition,
  type Sli,
  type SloDefinition,
  type SloWindow,
} from './types.js';

export interface Warning {
  path: string;
  message: string;
}

/** Collects unknown-field findings; `strict` turns them into errors. */
export class Reader {
  readonly warnings: Warning[] = [];
  constructor(readonly strict = false) {}

  unknown(path: string, what = 'unknown field'): void {
    if (this.strict) throw SloErrors.invalid(path, what);
    this.warnings.push({ path, message: `${what} (ignored)` });
  }

  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }

  /** Check `obj` is an object and report keys outside `known`. */
  object(v: unknown, path: string, known: readonly string[]): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw SloErrors.invalid(path, 'must be an object');
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!known.includes(k)) this.unknown(join(path, k));
    return o;
  }
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function str(v: unknown, path: string, opts: { max?: number; pattern?: RegExp } = {}): string {
  if (typeof v !== 'string' || v === '') throw SloErrors.invalid(path, 'must be a non-empty string');
  if (opts.max !== undefined && v.length > opts.max)
    throw SloErrors.invalid(path, `at most ${opts.max} characters`);
  if (opts.pattern && !opts.pattern.test(v))
    throw SloErrors.invalid(path, `must match ${opts.pattern.source}`);
  return v;
}

export function optStr(v: unknown, path: string, max = 1050): string | undefined {
  return v === undefined || v === null ? undefined : str(v, path, { max });
}

export function num(v: unknown, path: string, min: number, max: number, exclusive = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw SloErrors.invalid(path, 'must be a number');
  const bad = exclusive ? v <= min || v >= max : v < min || v > max;
  if (bad)
    throw SloErrors.invalid(
      path,
      `must be in ${exclusive ? '(' : '['}${min}, ${max}${exclusive ? ')' : ']'}`,
    );
  return v;
}

export function duration(v: unknown, path: string): number {
  const m = typeof v === 'string' ? parseDurationMinutes(v) : undefined;
  if (m === undefined) throw SloErrors.invalid(path, 'must be a duration like 5m, 6h, 30d or 4w');
  return m;
}

/** A duration that may also be zero (`0m`, `0s`): OpenSLO `alertAfter`. */
export function durationOrZero(v: unknown, path: string): number {
  if (typeof v === 'string' && /^0[smhdw]$/.test(v)) return 0;
  return duration(v, path);
}

export function parseSelector(v: unknown, path: string, r: Reader): DeviceSelector {
  if (v === undefined || v === null) return {};
  const o = r.object(v, path, ['model', 'models', 'tag', 'device']);
  const out: DeviceSelector = {};
  const model = optStr(o.model, join(path, 'model'), 200);
  if (o.models !== undefined) {
    if (model !== undefined) throw SloErrors.invalid(join(path, 'models'), 'give model or models, not both');
    if (!Array.isArray(o.models) || o.models.length === 0)
      throw SloErrors.invalid(join(path, 'models'), 'must be a non-empty list of model ids');
    const models = o.models.map((m: unknown, i) => str(m, join(join(path, 'models'), i), { max: 200 }));
    out.models = [...new Set(models)];
  }
  const tag = optStr(o.tag, join(path, 'tag'), 200);
  const device = optStr(o.device, join(path, 'device'), 200);
  if (model !== undefined) out.model = model;
  if (tag !== undefined) out.tag = tag;
  if (device !== undefined) out.device = device;
  return out;
}

export function parseFilter(v: unknown, path: string, r: Reader): EventFilter {
  const o = r.object(v, path, ['event', 'where']);
  const event = str(o.event, join(path, 'event'));
  if (!(RATIO_EVENTS as readonly string[]).includes(event))
    throw SloErrors.invalid(join(path, 'event'), `must be one of ${RATIO_EVENTS.join(', ')}`);
  const where: FieldCondition[] = [];
  if (o.where !== undefined) {
    if (!Array.isArray(o.where)) throw SloErrors.invalid(join(path, 'where'), 'must be a list');
    o.where.forEach((c: unknown, i) => {
      const p = join(join(path, 'where'), i);
      const co = r.object(c, p, ['field', 'op', 'value']);
      const field = str(co.field, join(p, 'field'), {
        max: 200,
        pattern: /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/,
      });
      const op = co.op === undefined ? 'eq' : str(co.op, join(p, 'op'));
      if (!(FILTER_OPS as readonly string[]).includes(op))
        throw SloErrors.invalid(join(p, 'op'), `must be one of ${FILTER_OPS.join(', ')}`);
      const value = co.value;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
        throw SloErrors.invalid(join(p, 'value'), 'must be a string, number or boolean');
      where.push({ field, op: op as FieldCondition['op'], value });
    });
  }
  return { event: event as EventFilter['event'], where };
}

export function parseSli(v: unknown, path: string, r: Reader): Sli {
  const o = r.object(v, path, ['type', 'command', 'thresholdMs', 'latency', 'good', 'total', 'selector']);
  const type = str(o.type, join(path, 'type'));
  if (!(SLI_TYPES as readonly string[]).includes(type))
    throw SloErrors.invalid(join(path, 'type'), `must be one of ${SLI_TYPES.join(', ')}`);
  const selector = parseSelector(o.selector, join(path, 'selector'), r);
  const extra = (allowed: string[]): void => {
    for (const k of ['command', 'thresholdMs', 'latency', 'good', 'total'])
      if (o[k] !== undefined && !allowed.includes(k)) r.unknown(join(path, k), `not used by the ${type} SLI`);
  };
  switch (type) {
    case 'command-success': {
      extra(['command']);
      const command = optStr(o.command, join(path, 'command'), 200);
      return { type, selector, ...(command !== undefined ? { command } : {}) };
    }
    case 'command-latency': {
      extra(['command', 'thresholdMs', 'latency']);
      const command = optStr(o.command, join(path, 'command'), 200);
      const thresholdMs = num(o.thresholdMs, join(path, 'thresholdMs'), 1, 86_400_000);
      const latency = o.latency === undefined ? 'reply' : str(o.latency, join(path, 'latency'));
      if (latency !== 'reply' && latency !== 'confirm')
        throw SloErrors.invalid(join(path, 'latency'), 'must be reply or confirm');
      return { type, selector, thresholdMs, latency, ...(command !== undefined ? { command } : {}) };
    }
    case 'schedule-applied': {
      extra(['thresholdMs']);
      if (o.thresholdMs === undefined) return { type, selector };
      return { type, selector, thresholdMs: num(o.thresholdMs, join(path, 'thresholdMs'), 1, 86_400_000) };
    }
    case 'ratio': {
      extra(['good', 'total']);
      if (o.good === undefined) throw SloErrors.invalid(join(path, 'good'), 'is required');
      if (o.total === undefined) throw SloErrors.invalid(join(path, 'total'), 'is required');
      const good = parseFilter(o.good, join(path, 'good'), r);
      const total = parseFilter(o.total, join(path, 'total'), r);
      // Good events are the total events that also match the good filter: one event kind.
      if (good.event !== total.event)
        throw SloErrors.invalid(
          join(join(path, 'good'), 'event'),
          `must be the total's event (${total.event})`,
        );
      return { type, selector, good, total };
    }
    default:
      extra([]);
      return { type: type as 'heartbeat', selector };
  }
}

export function parseWindow(v: unknown, path: string, r: Reader): SloWindow {
  const o = r.object(v, path, ['rolling', 'calendar', 'timeZone']);
  if (o.rolling !== undefined) {
    if (o.calendar !== undefined)
      throw SloErrors.invalid(join(path, 'calendar'), 'use rolling or calendar, not both');
    const minutes = duration(o.rolling, join(path, 'rolling'));
    if (minutes < 5) throw SloErrors.invalid(join(path, 'rolling'), 'must be at least 5m');
    if (minutes > 366 * 1440) throw SloErrors.invalid(join(path, 'rolling'), 'must be at most 366d');
    if (o.timeZone !== undefined) r.unknown(join(path, 'timeZone'), 'only used by calendar windows');
    return { kind: 'rolling', minutes };
  }
  const unit = str(o.calendar, join(path, 'calendar'));
  if (unit !== 'week' && unit !== 'month' && unit !== 'quarter')
    throw SloErrors.invalid(join(path, 'calendar'), 'must be week, month or quarter (or give rolling)');
  const timeZone = o.timeZone === undefined ? 'UTC' : str(o.timeZone, join(path, 'timeZone'));
  if (!isValidTimeZone(timeZone)) throw SloErrors.invalid(join(path, 'timeZone'), 'unknown IANA time zone');
  return { kind: 'calendar', unit, timeZone };
}

export function parseBudgeting(v: unknown, path: string, r: Reader): Budgeting {
  if (v === undefined) return { method: 'occurrences' };
  const o = r.object(v, path, ['method', 'sliceTarget']);
  const method = str(o.method, join(path, 'method'));
  if (method === 'occurrences') {
    if (o.sliceTarget !== undefined) r.unknown(join(path, 'sliceTarget'), 'only used by timeslices');
    return { method };
  }
  if (method !== 'timeslices')
    throw SloErrors.invalid(join(path, 'method'), 'must be occurrences or timeslices');
  return { method, sliceTarget: num(o.sliceTarget, join(path, 'sliceTarget'), 0, 1, false) };
}

export function parseTier(v: unknown, path: string, r: Reader): AlertTier {
  const o = r.object(v, path, [
    'name',
    'severity',
    'longWindow',
    'shortWindow',
    'budgetShare',
    'burnRate',
    'op',
    'alertAfter',
    'notifyResolved',
  ]);
  const name = str(o.name, join(path, 'name'), { max: 63, pattern: NAME_RE });
  const severity = str(o.severity, join(path, 'severity'));
  if (severity !== 'page' && severity !== 'ticket')
    throw SloErrors.invalid(join(path, 'severity'), 'must be page or ticket');
  const longMinutes = duration(o.longWindow, join(path, 'longWindow'));
  const shortMinutes = duration(o.shortWindow, join(path, 'shortWindow'));
  if (shortMinutes > longMinutes)
    throw SloErrors.invalid(join(path, 'shortWindow'), 'must not exceed longWindow');
  const tier: AlertTier = { name, severity, longMinutes, shortMinutes };
  if (o.burnRate !== undefined) tier.burnRate = num(o.burnRate, join(path, 'burnRate'), 0, 1e6, true);
  else if (o.budgetShare !== undefined)
    tier.budgetShare = num(o.budgetShare, join(path, 'budgetShare'), 0, 1, false);
  else throw SloErrors.invalid(join(path, 'budgetShare'), 'give budgetShare or burnRate');
  if (o.burnRate !== undefined && o.budgetShare !== undefined)
    throw SloErrors.invalid(join(path, 'budgetShare'), 'give budgetShare or burnRate, not both');
  if (o.op !== undefined && o.op !== 'gt') {
    if (o.op !== 'gte') throw SloErrors.invalid(join(path, 'op'), 'must be gt (default) or gte');
    tier.op = 'gte';
  }
  if (o.alertAfter !== undefined) {
    const m = durationOrZero(o.alertAfter, join(path, 'alertAfter'));
    if (m > 0) tier.alertAfterMinutes = m;
  }
  if (o.notifyResolved !== undefined) {
    if (typeof o.notifyResolved !== 'boolean')
      throw SloErrors.invalid(join(path, 'notifyResolved'), 'must be true or false');
    if (!o.notifyResolved) tier.notifyResolved = false;
  }
  return tier;
}

function parseAlerting(v: unknown, path: string, r: Reader): SloDefinition['alerting'] {
  if (v === undefined || v === null)
    return { minEvents: DEFAULT_MIN_EVENTS, tiers: defaultTiers(), budgetExhausted: true };
  const o = r.object(v, path, ['minEvents', 'tiers', 'budgetExhausted']);
  const minEvents =
    o.minEvents === undefined ? DEFAULT_MIN_EVENTS : num(o.minEvents, join(path, 'minEvents'), 0, 1e12);
  let tiers = defaultTiers();
  if (o.tiers !== undefined) {
    if (!Array.isArray(o.tiers))
      throw SloErrors.invalid(join(path, 'tiers'), 'must be a list (empty: no alerts)');
    tiers = o.tiers.map((t: unknown, i) => parseTier(t, join(join(path, 'tiers'), i), r));
    checkTierNames(tiers, join(path, 'tiers'));
  }
  // `tiers: []` means "no alerts": then budget exhaustion is silent too unless asked for.
  let budgetExhausted = tiers.length > 0;
  if (o.budgetExhausted !== undefined) {
    if (typeof o.budgetExhausted !== 'boolean')
      throw SloErrors.invalid(join(path, 'budgetExhausted'), 'must be true or false');
    budgetExhausted = o.budgetExhausted;
  }
  return { minEvents, tiers, budgetExhausted };
}

export function checkTierNames(tiers: AlertTier[], path: string): void {
  const seen = new Set<string>();
  tiers.forEach((t, i) => {
    if (seen.has(t.name)) throw SloErrors.invalid(join(join(path, i), 'name'), `duplicate tier ${t.name}`);
    seen.add(t.name);
  });
}

/** Parse one definition in Tsunagu's shape. */
export function parseSloDefinition(v: unknown, path: string, r: Reader): SloDefinition {
  const o = r.object(v, path, [
    'name',
    'displayName',
    'description',
    'service',
    'sli',
    'target',
    'window',
    'budgeting',
    'alerting',
  ]);
  const def: SloDefinition = {
    name: str(o.name, join(path, 'name'), { max: 63, pattern: NAME_RE }),
    sli: parseSli(o.sli, join(path, 'sli'), r),
    target: num(o.target, join(path, 'target'), 0, 1, true),
    window:
      o.window === undefined
        ? { kind: 'rolling', minutes: 43_200 }
        : parseWindow(o.window, join(path, 'window'), r),
    budgeting: parseBudgeting(o.budgeting, join(path, 'budgeting'), r),
    alerting: parseAlerting(o.alerting, join(path, 'alerting'), r),
  };
  const displayName = optStr(o.displayName, join(path, 'displayName'), 200);
  const description = optStr(o.description, join(path, 'description'));
  const service = optStr(o.service, join(path, 'service'), 200);
  if (displayName !== undefined) def.displayName = displayName;
  if (description !== undefined) def.description = description;
  if (service !== undefined) def.service = service;
  return def;
}

/** The definition in Tsunagu's input shape (what parseSloDefinition reads back unchanged). */
export function toTsunagu(def: SloDefinition): Record<string, unknown> {
  const { selector, ...spec } = def.sli;
  const sli: Record<string, unknown> = { ...spec };
  if (Object.keys(selector).length > 0)
    sli.selector = { ...selector, ...(selector.models ? { models: [...selector.models] } : {}) };
  return {
    name: def.name,
    ...(def.displayName !== undefined ? { displayName: def.displayName } : {}),
    ...(def.description !== undefined ? { description: def.description } : {}),
    ...(def.service !== undefined ? { service: def.service } : {}),
    sli,
    target: def.target,
    window:
      def.window.kind === 'rolling'
        ? { rolling: formatDurationMinutes(def.window.minutes) }
        : { calendar: def.window.unit, timeZone: def.window.timeZone },
    budgeting: { ...def.budgeting },
    alerting: {
      minEvents: def.alerting.minEvents,
      budgetExhausted: def.alerting.budgetExhausted,
      tiers: def.alerting.tiers.map((t) => ({
        name: t.name,
        severity: t.severity,
        longWindow: formatDurationMinutes(t.longMinutes),
        shortWindow: formatDurationMinutes(t.shortMinutes),
        ...(t.burnRate !== undefined ? { burnRate: t.burnRate } : { budgetShare: t.budgetShare }),
        ...(t.op ? { op: t.op } : {}),
        ...(t.alertAfterMinutes ? { alertAfter: formatDurationMinutes(t.alertAfterMinutes) } : {}),
        ...(t.notifyResolved === false ? { notifyResolved: false } : {}),
      })),
    },
  };
}

/** A definition stored by an older version: fill fields added since, with their defaults. */
export function upgradeStored(def: SloDefinition): SloDefinition {
  const alerting = def.alerting as Partial<SloDefinition['alerting']> & { tiers: AlertTier[] };
  if (alerting.budgetExhausted === undefined)
    return { ...def, alerting: { ...def.alerting, budgetExhausted: alerting.tiers.length > 0 } };
  return def;
}
