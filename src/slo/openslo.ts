/**
 * OpenSLO v1 (github.com/OpenSLO/OpenSLO, README "Specification") import (export: openslo-export.ts). Our SLIs map
 * to `ratioMetric` with `metricSource.type: tsunagu`; the `spec` of a tsunagu metric source is ours
 * (docs/slo.md): `indicator` (heartbeat, command-success, command-latency, availability,
 * hardware-health, decode-health, events), its parameters (`command`, `thresholdMs`, `latency`,
 * `event`, `where`) and the device selector (`model`, `tag`, `device`).
 *
 * Burn-rate tiers become inline AlertPolicies with one inline AlertCondition (`kind: burnrate`,
 * `lookbackWindow` = long window); the short window and the budget share, which OpenSLO has no
 * field for, travel as annotations `tsunagu.io/short-window` and `tsunagu.io/budget-share`.
 */
import YAML from 'yaml';
import { parseDurationMinutes } from './duration.js';
import { SloErrors } from './errors.js';
import {
  checkTierNames,
  duration,
  parseFilter,
  parseSelector,
  join,
  NAME_RE,
  num,
  optStr,
  parseSli,
  type Reader,
  str,
} from './definition.js';
import { isValidTimeZone } from './calendar.js';
import {
  DEFAULT_MIN_EVENTS,
  SLI_TYPES,
  type AlertTier,
  type Budgeting,
  type CalendarUnit,
  type Sli,
  type SloDefinition,
  type SloWindow,
} from './types.js';
import { ANN } from './openslo-export.js';

export { exportOpenSlo, toOpenSlo } from './openslo-export.js';

const CAL_DURATION: Record<string, CalendarUnit> = { '1w': 'week', '1M': 'month', '1Q': 'quarter' };

interface Doc {
  path: string;
  o: Record<string, unknown>;
}

const META_KEYS = ['name', 'displayName', 'labels', 'annotations'];

function metadata(
  v: unknown,
  path: string,
  r: Reader,
): { name: string; displayName?: string; annotations: Record<string, unknown> } {
  const m = r.object(v, path, META_KEYS);
  const name = str(m.name, join(path, 'name'), { max: 63, pattern: NAME_RE });
  const displayName = optStr(m.displayName, join(path, 'displayName'), 200);
  const annotations =
    m.annotations === undefined
      ? {}
      : r.object(m.annotations, join(path, 'annotations'), Object.keys(m.annotations as object));
  // Only tsunagu.io/ annotations mean something here; say so rather than drop the rest quietly.
  if (m.labels !== undefined) r.warn(join(path, 'labels'), 'labels are not stored (ignored)');
  for (const key of Object.keys(annotations))
    if (!key.startsWith(ANN)) r.warn(join(join(path, 'annotations'), key), 'annotation not stored (ignored)');
  return { name, ...(displayName !== undefined ? { displayName } : {}), annotations };
}

/** Parse a tsunagu metric source into our SLI fields. */
function metricSource(v: unknown, path: string, r: Reader): Record<string, unknown> {
  const ms = r.object(r.object(v, path, ['metricSource']).metricSource, join(path, 'metricSource'), [
    'type',
    'spec',
    'metricSourceRef',
  ]);
  const mp = join(path, 'metricSource');
  if (ms.metricSourceRef !== undefined)
    r.warn(
      join(mp, 'metricSourceRef'),
      'DataSource references are not used by tsunagu metric sources (ignored)',
    );
  if (ms.type !== 'tsunagu')
    throw SloErrors.invalid(join(mp, 'type'), 'must be tsunagu (other metric sources are not supported)');
  return r.object(ms.spec, join(mp, 'spec'), [
    'indicator',
    'command',
    'thresholdMs',
    'latency',
    'event',
    'where',
    'model',
    'tag',
    'device',
  ]);
}

function indicatorFromRatio(v: unknown, path: string, r: Reader): Sli {
  const sp = r.object(v, path, ['description', 'ratioMetric', 'thresholdMetric']);
  if (sp.thresholdMetric !== undefined)
    throw SloErrors.invalid(join(path, 'thresholdMetric'), 'not supported; use ratioMetric');
  const rp = join(path, 'ratioMetric');
  const rm = r.object(sp.ratioMetric, rp, ['counter', 'good', 'bad', 'total', 'raw', 'rawType']);
  if (rm.bad !== undefined) throw SloErrors.invalid(join(rp, 'bad'), 'not supported; give good and total');
  if (rm.raw !== undefined) throw SloErrors.invalid(join(rp, 'raw'), 'not supported; give good and total');
  if (rm.good === undefined) throw SloErrors.invalid(join(rp, 'good'), 'is required');
  if (rm.total === undefined) throw SloErrors.invalid(join(rp, 'total'), 'is required');
  if (rm.counter !== undefined && typeof rm.counter !== 'boolean')
    throw SloErrors.invalid(join(rp, 'counter'), 'must be a boolean');
  const goodPath = join(join(rp, 'good'), 'metricSource.spec');
  const totalPath = join(join(rp, 'total'), 'metricSource.spec');
  const good = metricSource(rm.good, join(rp, 'good'), r);
  const total = metricSource(rm.total, join(rp, 'total'), r);
  const indicator = str(total.indicator, join(totalPath, 'indicator'));
  const known = ['events', ...SLI_TYPES.filter((t) => t !== 'ratio')];
  if (!known.includes(indicator))
    throw SloErrors.invalid(join(totalPath, 'indicator'), `must be one of ${known.join(', ')}`);
  if (good.indicator !== indicator)
    throw SloErrors.invalid(join(goodPath, 'indicator'), `must equal the total's indicator (${indicator})`);
  const selector = parseSelector({ model: total.model, tag: total.tag, device: total.device }, totalPath, r);
  if (indicator === 'events') {
    for (const k of ['model', 'tag', 'device'])
      if (good[k] !== undefined) r.unknown(join(goodPath, k), 'selectors belong on total');
    const g = parseFilter({ event: good.event, where: good.where }, goodPath, r);
    const t = parseFilter({ event: total.event, where: total.where }, totalPath, r);
    if (g.event !== t.event)
      throw SloErrors.invalid(join(goodPath, 'event'), `must be the total's event (${t.event})`);
    for (const k of ['command', 'thresholdMs', 'latency'])
      for (const [side, p] of [
        [good, goodPath],
        [total, totalPath],
      ] as const)
        if (side[k] !== undefined) r.unknown(join(p, k), 'not used by the events indicator');
    return { type: 'ratio', selector, good: g, total: t };
  }
  if (JSON.stringify(sortKeys(good)) !== JSON.stringify(sortKeys(total)))
    throw SloErrors.invalid(goodPath, `must equal total's spec for the ${indicator} indicator`);
  const { indicator: _i, model: _m, tag: _t, device: _d, ...params } = total;
  return parseSli({ type: indicator, selector, ...params }, totalPath, r);
}

function sortKeys(o: Record<string, unknown>): [string, unknown][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
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
    if (w.calendar !== undefined) r.unknown(join(p, 'calendar'), 'not used by a rolling window');
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
      r.warn(
        join(cp, 'startTime'),
        `periods start at the natural ${unit} boundary (local midnight); this start time is not used`,
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
  ]);
  for (const k of ['op', 'value'])
    if (o[k] !== undefined) r.unknown(join(p, k), 'only used by thresholdMetric');
  if (o.displayName !== undefined) r.warn(join(p, 'displayName'), 'objective names are not stored (ignored)');
  let target: number;
  if (o.target !== undefined) {
    if (o.targetPercent !== undefined)
      throw SloErrors.invalid(join(p, 'targetPercent'), 'give target or targetPercent, not both');
    target = num(o.target, join(p, 'target'), 0, 1, true);
  } else if (o.targetPercent !== undefined)
    target = num(o.targetPercent, join(p, 'targetPercent'), 0, 100, true) / 100;
  else throw SloErrors.invalid(join(p, 'target'), 'is required (or targetPercent)');
  if (method === 'Occurrences') {
    for (const k of ['timeSliceTarget', 'timeSliceWindow'])
      if (o[k] !== undefined) r.unknown(join(p, k), 'only used by Timeslices');
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
  byName: Map<string, Doc>;
}

function condition(v: unknown, path: string, r: Reader, named: Named): AlertTier {
  let c = r.object(v, path, ['kind', 'metadata', 'spec', 'conditionRef']);
  let cp = path;
  if (c.conditionRef !== undefined) {
    const ref = str(c.conditionRef, join(path, 'conditionRef'));
    const d = named.byName.get(`AlertCondition/${ref}`);
    if (!d)
      throw SloErrors.invalid(join(path, 'conditionRef'), `no AlertCondition named ${ref} in the document`);
    c = d.o;
    cp = d.path;
  }
  const meta = metadata(c.metadata, join(cp, 'metadata'), r);
  const s = r.object(c.spec, join(cp, 'spec'), ['description', 'severity', 'condition']);
  const severity = str(s.severity, join(cp, 'spec.severity'));
  if (severity !== 'page' && severity !== 'ticket')
    throw SloErrors.invalid(join(cp, 'spec.severity'), 'must be page or ticket');
  const kp = join(cp, 'spec.condition');
  const k = r.object(s.condition, kp, ['kind', 'threshold', 'lookbackWindow', 'alertAfter']);
  if (k.kind !== undefined && k.kind !== 'burnrate')
    throw SloErrors.invalid(join(kp, 'kind'), 'must be burnrate');
  const threshold = num(k.threshold, join(kp, 'threshold'), 0, 1e6, true);
  const longMinutes = duration(k.lookbackWindow, join(kp, 'lookbackWindow'));
  if (k.alertAfter !== undefined && k.alertAfter !== '0m')
    r.warn(join(kp, 'alertAfter'), 'the short window replaces alertAfter; only 0m is meaningful (ignored)');
  const annotations = meta.annotations;
  const sw = annotations[`${ANN}short-window`];
  const ap = join(cp, 'metadata.annotations');
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
  for (const key of Object.keys(annotations))
    if (key.startsWith(ANN) && key !== `${ANN}short-window` && key !== `${ANN}budget-share`)
      r.unknown(join(ap, key), 'unknown tsunagu annotation');
  return tier;
}

function alertPolicies(v: unknown, path: string, r: Reader, named: Named): AlertTier[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw SloErrors.invalid(path, 'must be a list');
  const tiers = v.map((item: unknown, i) => {
    const ip = join(path, i);
    let p = r.object(item, ip, ['kind', 'metadata', 'spec', 'alertPolicyRef']);
    let pp = ip;
    if (p.alertPolicyRef !== undefined) {
      const ref = str(p.alertPolicyRef, join(ip, 'alertPolicyRef'));
      const d = named.byName.get(`AlertPolicy/${ref}`);
      if (!d)
        throw SloErrors.invalid(join(ip, 'alertPolicyRef'), `no AlertPolicy named ${ref} in the document`);
      p = d.o;
      pp = d.path;
    }
    metadata(p.metadata, join(pp, 'metadata'), r);
    const s = r.object(p.spec, join(pp, 'spec'), [
      'description',
      'alertWhenNoData',
      'alertWhenResolved',
      'alertWhenBreaching',
      'conditions',
      'notificationTargets',
    ]);
    if (s.alertWhenBreaching === false)
      throw SloErrors.invalid(
        join(pp, 'spec.alertWhenBreaching'),
        'false is not supported (remove the policy instead)',
      );
    if (s.alertWhenNoData === true)
      r.warn(join(pp, 'spec.alertWhenNoData'), 'no-data alerts are not supported (ignored)');
    if (s.notificationTargets !== undefined)
      r.warn(join(pp, 'spec.notificationTargets'), 'routing is configured in notify (ignored)');
    if (!Array.isArray(s.conditions) || s.conditions.length !== 1)
      throw SloErrors.invalid(join(pp, 'spec.conditions'), 'must be a list with exactly one condition');
    return condition(s.conditions[0], join(join(pp, 'spec.conditions'), 0), r, named);
  });
  checkTierNames(tiers, path);
  return tiers;
}

function sloFromDoc(doc: Doc, r: Reader, named: Named): SloDefinition {
  const { o, path } = doc;
  const meta = metadata(o.metadata, join(path, 'metadata'), r);
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
  let sli: Sli;
  if (s.indicator !== undefined) {
    const ip = join(sp, 'indicator');
    const ind = r.object(s.indicator, ip, ['metadata', 'spec']);
    if (ind.metadata !== undefined) metadata(ind.metadata, join(ip, 'metadata'), r);
    sli = indicatorFromRatio(ind.spec, join(ip, 'spec'), r);
  } else if (s.indicatorRef !== undefined) {
    const ref = str(s.indicatorRef, join(sp, 'indicatorRef'));
    const d = named.byName.get(`SLI/${ref}`);
    if (!d) throw SloErrors.invalid(join(sp, 'indicatorRef'), `no SLI named ${ref} in the document`);
    sli = indicatorFromRatio(d.o.spec, join(d.path, 'spec'), r);
  } else throw SloErrors.invalid(join(sp, 'indicator'), 'indicator or indicatorRef is required');
  const method = s.budgetingMethod;
  if (method !== 'Occurrences' && method !== 'Timeslices')
    throw SloErrors.invalid(join(sp, 'budgetingMethod'), 'must be Occurrences or Timeslices');
  const { target, budgeting } = objectives(s.objectives, join(sp, 'objectives'), method, r);
  const ann = meta.annotations;
  const me = ann[`${ANN}min-events`];
  const minEvents = me === undefined ? DEFAULT_MIN_EVENTS : Number(me);
  if (!(Number.isFinite(minEvents) && minEvents >= 0))
    throw SloErrors.invalid(
      join(path, `metadata.annotations.${ANN}min-events`),
      'must be a non-negative number',
    );
  const tiers = alertPolicies(s.alertPolicies, join(sp, 'alertPolicies'), r, named);
  const be = ann[`${ANN}budget-exhausted`];
  if (be !== undefined && be !== 'true' && be !== 'false')
    throw SloErrors.invalid(
      join(path, `metadata.annotations.${ANN}budget-exhausted`),
      "must be 'true' or 'false'",
    );
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
  const description = optStr(s.description, join(sp, 'description'));
  const service = optStr(s.service, join(sp, 'service'), 200);
  if (description !== undefined) def.description = description;
  if (service !== undefined) def.service = service;
  return def;
}

/** Parse a multi-document OpenSLO YAML text into SLO definitions. Throws SLO_INVALID naming the path. */
export function importOpenSlo(text: string, r: Reader): SloDefinition[] {
  const docs: Doc[] = [];
  YAML.parseAllDocuments(text).forEach((d, i) => {
    const path = `documents[${i}]`;
    if (d.errors.length > 0) throw SloErrors.invalid(path, `YAML: ${d.errors[0]!.message.split('\n')[0]}`);
    const v: unknown = d.toJS();
    if (v === null || v === undefined) return;
    const o = r.object(v, path, ['apiVersion', 'kind', 'metadata', 'spec']);
    if (o.apiVersion !== 'openslo/v1')
      throw SloErrors.invalid(join(path, 'apiVersion'), 'must be openslo/v1');
    docs.push({ path, o });
  });
  const named: Named = { byName: new Map() };
  for (const d of docs) {
    const kind = d.o.kind;
    if (kind === 'SLI' || kind === 'AlertPolicy' || kind === 'AlertCondition') {
      const meta = r.object(d.o.metadata, join(d.path, 'metadata'), META_KEYS);
      named.byName.set(`${kind}/${str(meta.name, join(d.path, 'metadata.name'))}`, d);
    } else if (kind === 'DataSource' || kind === 'Service' || kind === 'AlertNotificationTarget') {
      r.warn(join(d.path, 'kind'), `${kind} is not used by tsunagu (ignored)`);
    } else if (kind !== 'SLO') {
      throw SloErrors.invalid(
        join(d.path, 'kind'),
        'must be SLO, SLI, AlertPolicy, AlertCondition, DataSource, Service or AlertNotificationTarget',
      );
    }
  }
  const seen = new Set<string>();
  return docs
    .filter((d) => d.o.kind === 'SLO')
    .map((d) => {
      const def = sloFromDoc(d, r, named);
      if (seen.has(def.name))
        throw SloErrors.invalid(join(d.path, 'metadata.name'), `duplicate SLO ${def.name}`);
      seen.add(def.name);
      return def;
    });
}
