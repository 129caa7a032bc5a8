/**
 * OpenSLO v1 documents as the specification writes them (github.com/OpenSLO/OpenSLO, README
 * "Specification"): reading YAML (multi-document `---` streams and lists of documents, as oslo and
 * the go-sdk write them), and checking every kind's fields. Every field is either known here or
 * refused with its path; documents are kept verbatim (slo_openslo_objects), so what the importer
 * does not turn into tsunagu behaviour (labels, descriptions, display names, notification targets
 * of a policy no SLO uses, DataSource connection details…) still comes back on export unchanged.
 *
 * What tsunagu makes of an SLO and of the SLI, AlertPolicy and AlertCondition it uses is decided in
 * openslo.ts; a standalone document of any kind is stored and exported as it is.
 */
import YAML from 'yaml';
import { duration, durationOrZero, join, NAME_RE, num, optStr, str, type Reader } from './definition.js';
import { SloErrors } from './errors.js';

export const KINDS = [
  'SLO',
  'SLI',
  'DataSource',
  'Service',
  'AlertPolicy',
  'AlertCondition',
  'AlertNotificationTarget',
] as const;
export type Kind = (typeof KINDS)[number];

export interface OpenSloDoc {
  /** Where it is in the request (`documents[2]`), for error paths. */
  path: string;
  kind: Kind;
  name: string;
  /** The document as written (apiVersion, kind, metadata, spec). */
  o: Record<string, unknown>;
}

/** Split YAML text into documents: `---` separated, and/or each a list of documents. */
export function readDocuments(text: string): { path: string; value: unknown }[] {
  const out: { path: string; value: unknown }[] = [];
  let n = 0;
  YAML.parseAllDocuments(text).forEach((d, i) => {
    if (d.errors.length > 0)
      throw SloErrors.invalid(
        `documents[${n}]`,
        `YAML (document ${i + 1}): ${d.errors[0]!.message.split('\n')[0]}`,
      );
    const v: unknown = d.toJS();
    if (v === null || v === undefined) return;
    for (const item of Array.isArray(v) ? (v as unknown[]) : [v])
      out.push({ path: `documents[${n++}]`, value: item });
  });
  return out;
}

/** Whether YAML text looks like OpenSLO (the first document's apiVersion), for format sniffing. */
export function looksLikeOpenSlo(text: string): boolean {
  try {
    const first = readDocuments(text)[0]?.value as { apiVersion?: unknown } | undefined;
    return typeof first?.apiVersion === 'string' && first.apiVersion.startsWith('openslo/');
  } catch {
    return /^\s*-?\s*apiVersion:\s*['"]?openslo\//m.test(text);
  }
}

const labelValue = (v: unknown): boolean =>
  typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));

export function checkMetadata(v: unknown, path: string, r: Reader): { name: string; displayName?: string } {
  const m = r.object(v, path, ['name', 'displayName', 'labels', 'annotations']);
  const name = str(m.name, join(path, 'name'), { max: 63, pattern: NAME_RE });
  const displayName = optStr(m.displayName, join(path, 'displayName'), 200);
  if (m.labels !== undefined) {
    const l = r.object(m.labels, join(path, 'labels'), Object.keys(m.labels ?? {}));
    for (const [k, x] of Object.entries(l))
      if (!labelValue(x))
        throw SloErrors.invalid(join(join(path, 'labels'), k), 'must be a string or a list of strings');
  }
  if (m.annotations !== undefined) {
    const a = r.object(m.annotations, join(path, 'annotations'), Object.keys(m.annotations ?? {}));
    for (const [k, x] of Object.entries(a))
      if (typeof x !== 'string')
        throw SloErrors.invalid(join(join(path, 'annotations'), k), 'must be a string');
  }
  return { name, ...(displayName !== undefined ? { displayName } : {}) };
}

function description(v: unknown, path: string): void {
  optStr(v, path, 1050);
}

function metricSource(v: unknown, path: string, r: Reader): void {
  const o = r.object(v, path, ['metricSource']);
  const ms = r.object(o.metricSource, join(path, 'metricSource'), ['metricSourceRef', 'type', 'spec']);
  const mp = join(path, 'metricSource');
  if (ms.metricSourceRef !== undefined) str(ms.metricSourceRef, join(mp, 'metricSourceRef'));
  if (ms.metricSourceRef === undefined || ms.type !== undefined) str(ms.type, join(mp, 'type'));
  // The spec of a metric source belongs to its type (a query, a CloudWatch stat…): any object.
  if (ms.spec !== undefined) r.object(ms.spec, join(mp, 'spec'), Object.keys(ms.spec ?? {}));
}

export function checkSliSpec(v: unknown, path: string, r: Reader): void {
  const s = r.object(v, path, ['description', 'thresholdMetric', 'ratioMetric']);
  description(s.description, join(path, 'description'));
  if ((s.thresholdMetric === undefined) === (s.ratioMetric === undefined))
    throw SloErrors.invalid(join(path, 'ratioMetric'), 'give exactly one of ratioMetric and thresholdMetric');
  if (s.thresholdMetric !== undefined)
    return metricSource(s.thresholdMetric, join(path, 'thresholdMetric'), r);
  const rp = join(path, 'ratioMetric');
  const rm = r.object(s.ratioMetric, rp, ['counter', 'good', 'bad', 'total', 'raw', 'rawType']);
  if (rm.counter !== undefined && typeof rm.counter !== 'boolean')
    throw SloErrors.invalid(join(rp, 'counter'), 'must be true or false');
  for (const k of ['good', 'bad', 'total', 'raw'])
    if (rm[k] !== undefined) metricSource(rm[k], join(rp, k), r);
  if (rm.raw !== undefined) {
    if (rm.rawType !== 'success' && rm.rawType !== 'failure')
      throw SloErrors.invalid(join(rp, 'rawType'), 'must be success or failure');
  } else {
    if (rm.total === undefined) throw SloErrors.invalid(join(rp, 'total'), 'is required (or raw)');
    if ((rm.good === undefined) === (rm.bad === undefined))
      throw SloErrors.invalid(join(rp, 'good'), 'give exactly one of good and bad');
  }
}

export const CONDITION_OPS = ['lt', 'lte', 'gt', 'gte'];

export function checkConditionSpec(v: unknown, path: string, r: Reader): void {
  const s = r.object(v, path, ['description', 'severity', 'condition']);
  description(s.description, join(path, 'description'));
  str(s.severity, join(path, 'severity'), { max: 200 });
  if (s.condition === undefined) throw SloErrors.invalid(join(path, 'condition'), 'is required');
  const cp = join(path, 'condition');
  const c = r.object(s.condition, cp, ['kind', 'op', 'threshold', 'lookbackWindow', 'alertAfter']);
  if (c.kind !== 'burnrate') throw SloErrors.invalid(join(cp, 'kind'), 'must be burnrate');
  if (c.op !== undefined && !CONDITION_OPS.includes(c.op as string))
    throw SloErrors.invalid(join(cp, 'op'), `must be one of ${CONDITION_OPS.join(', ')}`);
  num(c.threshold, join(cp, 'threshold'), 0, 1e9);
  duration(c.lookbackWindow, join(cp, 'lookbackWindow'));
  if (c.alertAfter !== undefined) durationOrZero(c.alertAfter, join(cp, 'alertAfter'));
}

function inlineOrRef(
  v: unknown,
  path: string,
  r: Reader,
  refKey: string,
  kind: Kind,
  checkSpec: (v: unknown, path: string, r: Reader) => void,
): void {
  const o = r.object(v, path, [refKey, 'kind', 'metadata', 'spec']);
  if (o[refKey] !== undefined) {
    for (const k of ['kind', 'metadata', 'spec'])
      if (o[k] !== undefined)
        throw SloErrors.invalid(join(path, k), `give ${refKey} or an inline ${kind}, not both`);
    str(o[refKey], join(path, refKey), { max: 63 });
    return;
  }
  if (o.kind !== kind) throw SloErrors.invalid(join(path, 'kind'), `must be ${kind} (or give ${refKey})`);
  checkMetadata(o.metadata, join(path, 'metadata'), r);
  checkSpec(o.spec, join(path, 'spec'), r);
}

function checkTargetSpec(v: unknown, path: string, r: Reader): void {
  const s = r.object(v, path, ['description', 'target']);
  description(s.description, join(path, 'description'));
  str(s.target, join(path, 'target'), { max: 1050 });
}

export function checkPolicySpec(v: unknown, path: string, r: Reader): void {
  const s = r.object(v, path, [
    'description',
    'alertWhenNoData',
    'alertWhenResolved',
    'alertWhenBreaching',
    'conditions',
    'notificationTargets',
  ]);
  description(s.description, join(path, 'description'));
  for (const k of ['alertWhenNoData', 'alertWhenResolved', 'alertWhenBreaching'])
    if (s[k] !== undefined && typeof s[k] !== 'boolean')
      throw SloErrors.invalid(join(path, k), 'must be true or false');
  // OpenSLO v1: exactly one condition per policy.
  if (!Array.isArray(s.conditions) || s.conditions.length !== 1)
    throw SloErrors.invalid(join(path, 'conditions'), 'must be a list with exactly one condition');
  inlineOrRef(
    s.conditions[0],
    join(join(path, 'conditions'), 0),
    r,
    'conditionRef',
    'AlertCondition',
    checkConditionSpec,
  );
  if (s.notificationTargets !== undefined) {
    if (!Array.isArray(s.notificationTargets))
      throw SloErrors.invalid(join(path, 'notificationTargets'), 'must be a list');
    s.notificationTargets.forEach((t: unknown, i) =>
      inlineOrRef(
        t,
        join(join(path, 'notificationTargets'), i),
        r,
        'targetRef',
        'AlertNotificationTarget',
        checkTargetSpec,
      ),
    );
  }
}

const CHECKS: Record<Exclude<Kind, 'SLO'>, (v: unknown, path: string, r: Reader) => void> = {
  SLI: checkSliSpec,
  AlertCondition: checkConditionSpec,
  AlertPolicy: checkPolicySpec,
  AlertNotificationTarget: checkTargetSpec,
  Service(v, path, r) {
    description(r.object(v, path, ['description']).description, join(path, 'description'));
  },
  DataSource(v, path, r) {
    const s = r.object(v, path, ['description', 'type', 'connectionDetails']);
    description(s.description, join(path, 'description'));
    str(s.type, join(path, 'type'), { max: 200 });
    // connectionDetails belong to the source type (URLs, regions, credentials refs): any value.
    if (s.connectionDetails === undefined)
      throw SloErrors.invalid(join(path, 'connectionDetails'), 'is required');
  },
};

/** Check one document's envelope, and the spec of every kind but SLO (openslo.ts reads those). */
export function checkDocument(value: unknown, path: string, r: Reader): OpenSloDoc {
  const o = r.object(value, path, ['apiVersion', 'kind', 'metadata', 'spec']);
  if (o.apiVersion !== 'openslo/v1') throw SloErrors.invalid(join(path, 'apiVersion'), 'must be openslo/v1');
  if (!(KINDS as readonly unknown[]).includes(o.kind))
    throw SloErrors.invalid(join(path, 'kind'), `must be one of ${KINDS.join(', ')}`);
  const kind = o.kind as Kind;
  const { name } = checkMetadata(o.metadata, join(path, 'metadata'), r);
  if (kind !== 'SLO') CHECKS[kind](o.spec, join(path, 'spec'), r);
  return { path, kind, name, o };
}
