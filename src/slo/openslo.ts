/**
 * OpenSLO v1 (github.com/OpenSLO/OpenSLO, README "Specification") import; export is
 * openslo-export.ts, document reading and the fields of every kind openslo-kinds.ts. Our SLIs map
 * to `ratioMetric` with `metricSource.type: tsunagu`; the `spec` of a tsunagu metric source is ours
 * (docs/slo.md): `indicator` (heartbeat, command-success, command-latency, availability,
 * hardware-health, decode-health, events), its parameters (`command`, `thresholdMs`, `latency`,
 * `event`, `where`) and the device selector (`model`, `models`, `tag`, `device`).
 *
 * An SLO's alert policies (inline or `alertPolicyRef`, each with one condition, inline or
 * `conditionRef`) become burn-rate tiers: `lookbackWindow` is the long window, `op` gt or gte,
 * `alertAfter` how long the condition must hold, `alertWhenResolved: false` keeps resolving quiet.
 * The short window and the budget share, which OpenSLO has no field for, travel as annotations
 * `tsunagu.io/short-window` and `tsunagu.io/budget-share`. What tsunagu cannot do is refused with
 * the field's path (another metric source, a threshold metric, no-data alerts, notification
 * targets on a policy an SLO uses, `op: lt/lte`…); every document is also kept verbatim, so an
 * export gives back what was imported.
 */
import { parseDurationMinutes } from './duration.js';
import { SloErrors } from './errors.js';
import { checkTierNames, duration, durationOrZero, join, num, optStr, Reader, str } from './definition.js';
import { isValidTimeZone } from './calendar.js';
import {
  DEFAULT_MIN_EVENTS,
  type AlertTier,
  type Budgeting,
  type CalendarUnit,
  type Sli,
  type SloDefinition,
  type SloWindow,
} from './types.js';
import { ANN, canonicalJson } from './openslo-export.js';
import { indicatorFromRatio } from './openslo-indicator.js';
import {
  checkConditionSpec,
  checkDocument,
  checkMetadata,
  checkPolicySpec,
  checkSliSpec,
  readDocuments,
  type Kind,
  type OpenSloDoc,
} from './openslo-kinds.js';

export { exportOpenSlo, toOpenSlo } from './openslo-export.js';

const CAL_DURATION: Record<string, CalendarUnit> = { '1w': 'week', '1M': 'month', '1Q': 'quarter' };

interface Doc {
  path: string;
  o: Record<string, unknown>;
}

/** A document kept verbatim (slo_openslo_objects); an SLO's carries the definition it became. */
export interface OpenSloObject {
  kind: Kind;
  name: string;
  document: Record<string, unknown>;
  /** JSON of the SloDefinition an SLO document became (export uses the document while it matches). */
  definition?: string;
}

function annotationsOf(o: Record<string, unknown>): Record<string, string> {
  const m = o.metadata as { annotations?: Record<string, string> } | undefined;
  return m?.annotations ?? {};
}

function timeWindow(v: unknown, path: string, r: Reader): SloWindow {
  if (v === undefined) return { kind: 'rolling', minutes: 43_200 };
  if (!Array.isArray(v) || v.length !== 1)
    throw SloErrors.invalid(path, 'must be a list with exactly one item');
  const p = join(path, 0);
  const w = r.object(v[0], p, ['duration', 'isRolling', 'calendar']);
  const text = str(w.duration, join(p, 'duration'));
  const rolling = w.isRolling === true || (w.isRolling === undefined && w.calendar === undefined);
  if (w.isRolling !== undefined && typeof w.isRolling !== 'boolean')
    throw SloErrors.invalid(join(p, 'isRolling'), 'must be a boolean');
  if (rolling) {
    if (w.calendar !== undefined)
      throw SloErrors.invalid(join(p, 'calendar'), 'not used by a rolling window');
    const minutes = duration(text, join(p, 'duration'));
    if (minutes < 5 || minutes > 366 * 1440)
      throw SloErrors.invalid(join(p, 'duration'), 'must be between 5m and 366d');
    return { kind: 'rolling', minutes };
  }
  const unit = CAL_DURATION[text];
  if (!unit) throw SloErrors.invalid(join(p, 'duration'), 'calendar windows must be 1w, 1M or 1Q');
  const cp = join(p, 'calendar');
  const cal = w.calendar === undefined ? {} : r.object(w.calendar, cp, ['startTime', 'timeZone']);
  const timeZone = cal.timeZone === undefined ? 'UTC' : str(cal.timeZone, join(cp, 'timeZone'));
  if (!isValidTimeZone(timeZone)) throw SloErrors.invalid(join(cp, 'timeZone'), 'unknown IANA time zone');
  if (cal.startTime !== undefined) {
    const raw: unknown = cal.startTime;
    const st = raw instanceof Date ? raw.toISOString() : typeof raw === 'string' ? raw : '';
    const m = /^(\d{4})-(\d{2})-(\d{2})[ T]00:00(:00)?(\.000)?Z?$/.exec(st);
    const aligned =
      m !== null &&
      (unit === 'week'
        ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).getUTCDay() === 1
        : m[3] === '01' && (unit === 'month' || (Number(m[2]) - 1) % 3 === 0));
    if (!aligned)
      throw SloErrors.invalid(
        join(cp, 'startTime'),
        `tsunagu's ${unit}s start at local midnight on the ${unit === 'week' ? 'Monday' : `first day of the ${unit}`}: give such a start time (or none)`,
      );
  }
  return { kind: 'calendar', unit, timeZone };
}

function objectives(
  v: unknown,
  path: string,
  method: unknown,
  r: Reader,
): { target: number; budgeting: Budgeting } {
  if (!Array.isArray(v) || v.length === 0) throw SloErrors.invalid(path, 'must be a list with one objective');
  if (v.length > 1) throw SloErrors.invalid(join(path, 1), 'only one objective per SLO is supported');
  const p = join(path, 0);
  const o = r.object(v[0], p, [
    'displayName',
    'op',
    'value',
    'target',
    'targetPercent',
    'timeSliceTarget',
    'timeSliceWindow',
    'indicator',
    'indicatorRef',
    'compositeWeight',
  ]);
  optStr(o.displayName, join(p, 'displayName'), 200); // kept in the stored document
  for (const k of ['op', 'value'])
    if (o[k] !== undefined)
      throw SloErrors.invalid(
        join(p, k),
        'only meaningful for threshold metrics, which tsunagu does not evaluate',
      );
  for (const k of ['indicator', 'indicatorRef', 'compositeWeight'])
    if (o[k] !== undefined) throw SloErrors.invalid(join(p, k), 'composite SLOs are not supported');
  let target: number;
  if (o.target !== undefined) {
    if (o.targetPercent !== undefined)
      throw SloErrors.invalid(join(p, 'targetPercent'), 'give target or targetPercent, not both');
    target = num(o.target, join(p, 'target'), 0, 1, true);
  } else if (o.targetPercent !== undefined)
    // 99.9 / 100 is 0.9990000000000001 in binary: round to the decimal that was meant.
    target = Number((num(o.targetPercent, join(p, 'targetPercent'), 0, 100, true) / 100).toPrecision(15));
  else throw SloErrors.invalid(join(p, 'target'), 'is required (or targetPercent)');
  if (method === 'Occurrences') {
    for (const k of ['timeSliceTarget', 'timeSliceWindow'])
      if (o[k] !== undefined) throw SloErrors.invalid(join(p, k), 'only used by Timeslices');
    return { target, budgeting: { method: 'occurrences' } };
  }
  const sliceTarget = num(o.timeSliceTarget, join(p, 'timeSliceTarget'), 0, 1);
  const sw = o.timeSliceWindow;
  const swMinutes =
    typeof sw === 'number' ? sw : typeof sw === 'string' ? parseDurationMinutes(sw) : undefined;
  if (swMinutes !== 1)
    throw SloErrors.invalid(join(p, 'timeSliceWindow'), 'only 1m time slices are supported');
  return { target, budgeting: { method: 'timeslices', sliceTarget } };
}

interface Named {
  /** `Kind/name` → document, from this import first, then from the stored objects. */
  byName: Map<string, Doc>;
}

function resolve(named: Named, kind: Kind, ref: string, path: string): Doc {
  const d = named.byName.get(`${kind}/${ref}`);
  if (!d) throw SloErrors.invalid(path, `no ${kind} named ${ref} in this import or stored`);
  return d;
}

const TIER_ANNOTATIONS = [`${ANN}short-window`, `${ANN}budget-share`];

function condition(v: unknown, path: string, r: Reader, named: Named): AlertTier {
  let c = r.object(v, path, ['kind', 'metadata', 'spec', 'conditionRef']);
  let cp = path;
  if (c.conditionRef !== undefined) {
    const d = resolve(
      named,
      'AlertCondition',
      str(c.conditionRef, join(path, 'conditionRef')),
      join(path, 'conditionRef'),
    );
    c = d.o;
    cp = d.path;
  } else checkConditionSpec(c.spec, join(cp, 'spec'), r);
  const meta = checkMetadata(c.metadata, join(cp, 'metadata'), r);
  const s = c.spec as Record<string, unknown>;
  const severity = s.severity;
  if (severity !== 'page' && severity !== 'ticket')
    throw SloErrors.invalid(
      join(cp, 'spec.severity'),
      'must be page or ticket (the tiers tsunagu alerts with)',
    );
  const kp = join(cp, 'spec.condition');
  const k = s.condition as Record<string, unknown>;
  if (k.op === 'lt' || k.op === 'lte')
    throw SloErrors.invalid(
      join(kp, 'op'),
      'tsunagu alerts when the burn rate reaches or exceeds the threshold: use gt or gte',
    );
  const threshold = num(k.threshold, join(kp, 'threshold'), 0, 1e6, true);
  const longMinutes = duration(k.lookbackWindow, join(kp, 'lookbackWindow'));
  const annotations = annotationsOf(c);
  const ap = join(cp, 'metadata.annotations');
  const sw = annotations[`${ANN}short-window`];
  // SRE Workbook: the short window is 1/12 of the long one.
  const shortMinutes =
    sw === undefined
      ? Math.max(1, Math.round(longMinutes / 12))
      : duration(sw, join(ap, `${ANN}short-window`));
  if (shortMinutes > longMinutes)
    throw SloErrors.invalid(join(ap, `${ANN}short-window`), 'must not exceed lookbackWindow');
  const tier: AlertTier = { name: meta.name, severity, longMinutes, shortMinutes };
  const share = annotations[`${ANN}budget-share`];
  if (share !== undefined) {
    const n = Number(share);
    if (!(n > 0 && n <= 1))
      throw SloErrors.invalid(join(ap, `${ANN}budget-share`), 'must be a number in (0, 1]');
    tier.budgetShare = n;
  } else tier.burnRate = threshold;
  if (k.op === 'gte') tier.op = 'gte';
  const after = k.alertAfter === undefined ? 0 : durationOrZero(k.alertAfter, join(kp, 'alertAfter'));
  if (after > 0) tier.alertAfterMinutes = after;
  for (const key of Object.keys(annotations))
    if (key.startsWith(ANN) && !TIER_ANNOTATIONS.includes(key))
      r.unknown(join(ap, key), 'unknown tsunagu annotation');
  return tier;
}

function policy(v: unknown, path: string, r: Reader, named: Named): AlertTier {
  let p = r.object(v, path, ['kind', 'metadata', 'spec', 'alertPolicyRef']);
  let pp = path;
  if (p.alertPolicyRef !== undefined) {
    for (const k of ['kind', 'metadata', 'spec'])
      if (p[k] !== undefined)
        throw SloErrors.invalid(join(path, k), 'give alertPolicyRef or an inline AlertPolicy, not both');
    const d = resolve(
      named,
      'AlertPolicy',
      str(p.alertPolicyRef, join(path, 'alertPolicyRef')),
      join(path, 'alertPolicyRef'),
    );
    p = d.o;
    pp = d.path;
  } else {
    if (p.kind !== 'AlertPolicy')
      throw SloErrors.invalid(join(path, 'kind'), 'must be AlertPolicy (or give alertPolicyRef)');
    checkMetadata(p.metadata, join(pp, 'metadata'), r);
    checkPolicySpec(p.spec, join(pp, 'spec'), r);
  }
  const s = p.spec as Record<string, unknown>;
  const sp = join(pp, 'spec');
  if (s.alertWhenBreaching === false)
    throw SloErrors.invalid(
      join(sp, 'alertWhenBreaching'),
      'false is not supported (remove the policy instead)',
    );
  if (s.alertWhenNoData === true)
    throw SloErrors.invalid(join(sp, 'alertWhenNoData'), 'no-data alerts are not supported');
  if (s.notificationTargets !== undefined)
    throw SloErrors.invalid(
      join(sp, 'notificationTargets'),
      'who is told is configured in notify (channels and routes on slo.alert); remove it from a policy an SLO uses',
    );
  const tier = condition((s.conditions as unknown[])[0], join(sp, 'conditions[0]'), r, named);
  if (s.alertWhenResolved === false) tier.notifyResolved = false;
  return tier;
}

function alertPolicies(v: unknown, path: string, r: Reader, named: Named): AlertTier[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw SloErrors.invalid(path, 'must be a list');
  const tiers = v.map((item: unknown, i) => policy(item, join(path, i), r, named));
  checkTierNames(tiers, path);
  return tiers;
}

function indicator(s: Record<string, unknown>, sp: string, r: Reader, named: Named): Sli {
  if ((s.indicator === undefined) === (s.indicatorRef === undefined))
    throw SloErrors.invalid(join(sp, 'indicator'), 'give exactly one of indicator and indicatorRef');
  if (s.indicator !== undefined) {
    const ip = join(sp, 'indicator');
    const ind = r.object(s.indicator, ip, ['metadata', 'spec']);
    if (ind.metadata !== undefined) checkMetadata(ind.metadata, join(ip, 'metadata'), r);
    checkSliSpec(ind.spec, join(ip, 'spec'), r);
    return indicatorFromRatio(ind.spec, join(ip, 'spec'), r);
  }
  const d = resolve(named, 'SLI', str(s.indicatorRef, join(sp, 'indicatorRef')), join(sp, 'indicatorRef'));
  return indicatorFromRatio(d.o.spec, join(d.path, 'spec'), r);
}

function sloFromDoc(doc: Doc, r: Reader, named: Named): SloDefinition {
  const { o, path } = doc;
  const meta = checkMetadata(o.metadata, join(path, 'metadata'), r);
  const sp = join(path, 'spec');
  const s = r.object(o.spec, sp, [
    'description',
    'service',
    'indicator',
    'indicatorRef',
    'timeWindow',
    'budgetingMethod',
    'objectives',
    'alertPolicies',
  ]);
  const sli = indicator(s, sp, r, named);
  const method = s.budgetingMethod;
  if (method !== 'Occurrences' && method !== 'Timeslices')
    throw SloErrors.invalid(join(sp, 'budgetingMethod'), 'must be Occurrences or Timeslices');
  const { target, budgeting } = objectives(s.objectives, join(sp, 'objectives'), method, r);
  const ann = annotationsOf(o);
  const annPath = (k: string) => join(path, `metadata.annotations.${ANN}${k}`);
  const me = ann[`${ANN}min-events`];
  const minEvents = me === undefined ? DEFAULT_MIN_EVENTS : Number(me);
  if (!(Number.isFinite(minEvents) && minEvents >= 0))
    throw SloErrors.invalid(annPath('min-events'), 'must be a non-negative number');
  const tiers = alertPolicies(s.alertPolicies, join(sp, 'alertPolicies'), r, named);
  const be = ann[`${ANN}budget-exhausted`];
  if (be !== undefined && be !== 'true' && be !== 'false')
    throw SloErrors.invalid(annPath('budget-exhausted'), "must be 'true' or 'false'");
  const budgetExhausted = be === undefined ? tiers.length > 0 : be === 'true';
  for (const key of Object.keys(ann))
    if (key.startsWith(ANN) && key !== `${ANN}min-events` && key !== `${ANN}budget-exhausted`)
      r.unknown(join(path, `metadata.annotations.${key}`), 'unknown tsunagu annotation');
  const def: SloDefinition = {
    name: meta.name,
    sli,
    target,
    window: timeWindow(s.timeWindow, join(sp, 'timeWindow'), r),
    budgeting,
    alerting: { minEvents, tiers, budgetExhausted },
  };
  if (meta.displayName !== undefined) def.displayName = meta.displayName;
  const desc = optStr(s.description, join(sp, 'description'), 1050);
  const service = optStr(s.service, join(sp, 'service'), 200);
  if (desc !== undefined) def.description = desc;
  if (service !== undefined) def.service = service;
  return def;
}

export interface OpenSloImport {
  defs: SloDefinition[];
  /** Every document of the import, verbatim (SLOs with the definition they became). */
  objects: OpenSloObject[];
}

/**
 * Parse OpenSLO v1 YAML (`---` separated documents and/or lists of documents). Every document is
 * checked (422 naming the path on the first problem, unknown fields included); references resolve
 * within the import, then among `stored` objects (`Kind/name` → document).
 */
export function importOpenSlo(
  text: string,
  stored: ReadonlyMap<string, Record<string, unknown>> = new Map(),
): OpenSloImport {
  const r = new Reader(true);
  const docs: OpenSloDoc[] = readDocuments(text).map(({ path, value }) => checkDocument(value, path, r));
  const named: Named = { byName: new Map() };
  for (const [key, o] of stored) named.byName.set(key, { path: `stored ${key}`, o });
  const seen = new Map<string, string>();
  for (const d of docs) {
    const key = `${d.kind}/${d.name}`;
    const before = seen.get(key);
    if (before !== undefined)
      throw SloErrors.invalid(
        join(d.path, 'metadata.name'),
        `a second ${d.kind} named ${d.name} (first at ${before})`,
      );
    seen.set(key, d.path);
    named.byName.set(key, d);
  }
  const defs: SloDefinition[] = [];
  const objects: OpenSloObject[] = docs.map((d) => {
    if (d.kind !== 'SLO') return { kind: d.kind, name: d.name, document: d.o };
    const def = sloFromDoc(d, r, named);
    defs.push(def);
    return { kind: d.kind, name: d.name, document: d.o, definition: canonicalJson(def) };
  });
  return { defs, objects };
}
