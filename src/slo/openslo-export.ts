/**
 * OpenSLO v1 (github.com/OpenSLO/OpenSLO, README "Specification") export; import is openslo.ts. Our SLIs map
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
import { formatDurationMinutes } from './duration.js';
import type { AlertTier, CalendarUnit, Sli, SloDefinition, SloWindow } from './types.js';

/** Prefix of the annotations that carry what OpenSLO has no field for. */
export const ANN = 'tsunagu.io/';
const CAL_EXPORT: Record<CalendarUnit, string> = { week: '1w', month: '1M', quarter: '1Q' };
/** A Monday that is also the first day of a month and of a quarter: valid start for every unit. */
const CAL_START = '2024-01-01 00:00:00';

function metricSpec(sli: Sli, role: 'good' | 'total'): Record<string, unknown> {
  const sel = sli.selector;
  const selector = {
    ...(sel.model ? { model: sel.model } : {}),
    ...(sel.models ? { models: [...sel.models] } : {}),
    ...(sel.tag ? { tag: sel.tag } : {}),
    ...(sel.device ? { device: sel.device } : {}),
  };
  if (sli.type === 'ratio') {
    const f = role === 'good' ? sli.good : sli.total;
    return {
      indicator: 'events',
      event: f.event,
      ...(f.where.length ? { where: f.where.map((c) => ({ ...c })) } : {}),
      ...(role === 'total' ? selector : {}),
    };
  }
  const { selector: _s, type, ...params } = sli;
  return { indicator: type, ...params, ...selector };
}

function tierPolicy(sloName: string, t: AlertTier, windowMinutes: number): Record<string, unknown> {
  const threshold = t.burnRate ?? ((t.budgetShare ?? 0) * windowMinutes) / t.longMinutes;
  const annotations: Record<string, string> = {
    [`${ANN}short-window`]: formatDurationMinutes(t.shortMinutes),
  };
  if (t.burnRate === undefined) annotations[`${ANN}budget-share`] = String(t.budgetShare);
  return {
    kind: 'AlertPolicy',
    metadata: { name: `${sloName}-${t.name}`.slice(0, 63).replace(/-+$/, '') },
    spec: {
      alertWhenBreaching: true,
      alertWhenResolved: t.notifyResolved !== false,
      conditions: [
        {
          kind: 'AlertCondition',
          metadata: { name: t.name, annotations },
          spec: {
            severity: t.severity,
            condition: {
              kind: 'burnrate',
              op: t.op ?? 'gt',
              threshold: Number(threshold.toPrecision(12)),
              lookbackWindow: formatDurationMinutes(t.longMinutes),
              alertAfter: t.alertAfterMinutes ? formatDurationMinutes(t.alertAfterMinutes) : '0m',
            },
          },
        },
      ],
    },
  };
}

/** Nominal window length used to scale exported thresholds (calendar: 7, 30 or 91 days). */
function nominalMinutes(w: SloWindow): number {
  if (w.kind === 'rolling') return w.minutes;
  return w.unit === 'week' ? 10_080 : w.unit === 'month' ? 43_200 : 131_040;
}

export function toOpenSlo(def: SloDefinition): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (def.description !== undefined) spec.description = def.description;
  if (def.service !== undefined) spec.service = def.service;
  spec.indicator = {
    metadata: { name: `${def.name}-sli`.slice(0, 63) },
    spec: {
      ratioMetric: {
        counter: true,
        good: { metricSource: { type: 'tsunagu', spec: metricSpec(def.sli, 'good') } },
        total: { metricSource: { type: 'tsunagu', spec: metricSpec(def.sli, 'total') } },
      },
    },
  };
  spec.timeWindow = [
    def.window.kind === 'rolling'
      ? { duration: formatDurationMinutes(def.window.minutes), isRolling: true }
      : {
          duration: CAL_EXPORT[def.window.unit],
          calendar: { startTime: CAL_START, timeZone: def.window.timeZone },
          isRolling: false,
        },
  ];
  spec.budgetingMethod = def.budgeting.method === 'occurrences' ? 'Occurrences' : 'Timeslices';
  spec.objectives = [
    def.budgeting.method === 'timeslices'
      ? { target: def.target, timeSliceTarget: def.budgeting.sliceTarget, timeSliceWindow: '1m' }
      : { target: def.target },
  ];
  spec.alertPolicies = def.alerting.tiers.map((t) => tierPolicy(def.name, t, nominalMinutes(def.window)));
  return {
    apiVersion: 'openslo/v1',
    kind: 'SLO',
    metadata: {
      name: def.name,
      ...(def.displayName !== undefined ? { displayName: def.displayName } : {}),
      annotations: {
        [`${ANN}min-events`]: String(def.alerting.minEvents),
        ...(def.alerting.budgetExhausted !== def.alerting.tiers.length > 0
          ? { [`${ANN}budget-exhausted`]: String(def.alerting.budgetExhausted) }
          : {}),
      },
    },
    spec,
  };
}

/** JSON with sorted keys: a definition compares equal whatever order a database kept its keys in. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : x,
  );
}

/** A document kept verbatim from an import (OpenSloObject in openslo.ts, without the import). */
export interface StoredDocument {
  kind: string;
  name: string;
  document: Record<string, unknown>;
  definition?: string;
}

/**
 * Every SLO as OpenSLO v1, then every other stored document (Service, DataSource, SLI, AlertPolicy,
 * AlertCondition, AlertNotificationTarget) as it was imported. An SLO imported from OpenSLO comes
 * back as its original document while its definition is unchanged; otherwise it is generated.
 */
export function exportOpenSlo(
  defs: readonly SloDefinition[],
  stored: readonly StoredDocument[] = [],
): string {
  const sources = new Map(stored.filter((o) => o.kind === 'SLO').map((o) => [o.name, o]));
  const docs = defs.map((d) => {
    const src = sources.get(d.name);
    return src && src.definition === canonicalJson(d) ? src.document : toOpenSlo(d);
  });
  for (const o of stored) if (o.kind !== 'SLO') docs.push(o.document);
  return docs.map((d) => new YAML.Document(d).toString({ lineWidth: 0 })).join('---\n');
}
