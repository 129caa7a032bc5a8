// OpenSLO v1 import/export: a hand-written fixture with references, round trips (verbatim documents
// and generated ones), invalid documents whose errors name the field path (unknown fields too),
// and random input. Documents written by others: openslo-fixtures.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import YAML from 'yaml';
import { TsunaguError } from '../core/errors.js';
import { Reader } from './definition.js';
import { exportOpenSlo, importOpenSlo } from './openslo.js';
import { def } from './testing.js';
import { exportTsunagu, importTsunagu } from './yaml-format.js';

const FIXTURE = `
apiVersion: openslo/v1
kind: DataSource
metadata:
  name: unused
spec:
  type: Prometheus
  connectionDetails: { url: "http://prometheus:9090" }
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: unlock-latency-sli
spec:
  ratioMetric:
    counter: true
    good:
      metricSource:
        type: tsunagu
        spec: { indicator: command-latency, command: unlock, thresholdMs: 2000, latency: reply, model: scooter-v2 }
    total:
      metricSource:
        type: tsunagu
        spec: { indicator: command-latency, command: unlock, thresholdMs: 2000, latency: reply, model: scooter-v2 }
---
apiVersion: openslo/v1
kind: AlertCondition
metadata:
  name: fast-burn
  annotations:
    tsunagu.io/short-window: 5m
spec:
  severity: page
  condition: { kind: burnrate, threshold: 14.4, lookbackWindow: 1h, alertAfter: 0m }
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: unlock-page
spec:
  alertWhenBreaching: true
  alertWhenResolved: true
  conditions:
    - conditionRef: fast-burn
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: unlock-latency
  displayName: Unlock latency
spec:
  service: scooters
  indicatorRef: unlock-latency-sli
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: { startTime: "2026-01-01 00:00:00", timeZone: Europe/Berlin }
  budgetingMethod: Timeslices
  objectives:
    - targetPercent: 99.5
      timeSliceTarget: 0.95
      timeSliceWindow: 1m
  alertPolicies:
    - alertPolicyRef: unlock-page
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: heartbeats
spec:
  indicator:
    metadata: { name: hb }
    spec:
      ratioMetric:
        counter: true
        good: { metricSource: { type: tsunagu, spec: { indicator: events, event: heartbeat.checked, where: [{ field: received, op: eq, value: true }] } } }
        total: { metricSource: { type: tsunagu, spec: { indicator: events, event: heartbeat.checked, tag: berlin } } }
  timeWindow: [{ duration: 28d, isRolling: true }]
  budgetingMethod: Occurrences
  objectives: [{ target: 0.999 }]
`;

function errorOf(fn: () => unknown): TsunaguError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TsunaguError, `not a TsunaguError: ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

describe('OpenSLO import', () => {
  test('fixture with SLI, AlertPolicy and AlertCondition references', () => {
    const { defs } = importOpenSlo(FIXTURE);
    assert.deepEqual(
      defs.map((d) => d.name),
      ['unlock-latency', 'heartbeats'],
    );
    const [lat, hb] = defs as [(typeof defs)[0], (typeof defs)[0]];
    assert.deepEqual(lat.sli, {
      type: 'command-latency',
      selector: { model: 'scooter-v2' },
      thresholdMs: 2000,
      latency: 'reply',
      command: 'unlock',
    });
    assert.equal(lat.target, 0.995);
    assert.deepEqual(lat.window, { kind: 'calendar', unit: 'month', timeZone: 'Europe/Berlin' });
    assert.deepEqual(lat.budgeting, { method: 'timeslices', sliceTarget: 0.95 });
    assert.deepEqual(lat.alerting.tiers, [
      { name: 'fast-burn', severity: 'page', longMinutes: 60, shortMinutes: 5, burnRate: 14.4 },
    ]);
    assert.equal(lat.service, 'scooters');
    assert.equal(hb.sli.type, 'ratio');
    assert.deepEqual(hb.sli.selector, { tag: 'berlin' });
    assert.deepEqual(hb.window, { kind: 'rolling', minutes: 40_320 });
    assert.deepEqual(hb.alerting.tiers, [], 'no alertPolicies: no tiers');
    assert.equal(hb.alerting.budgetExhausted, false, 'no alerting at all: budget exhaustion is quiet too');
  });

  test('import → export gives back the documents as written; generated export round-trips too', () => {
    const { defs, objects } = importOpenSlo(FIXTURE);
    const docs = (text: string) => YAML.parseAllDocuments(text).map((d) => d.toJS() as unknown);
    const exported = exportOpenSlo(defs, objects);
    const want = docs(FIXTURE);
    // SLOs first, then the other kinds in import order.
    assert.deepEqual(docs(exported), [want[4], want[5], want[0], want[1], want[2], want[3]]);
    assert.equal(defs[0]!.target, 0.995, 'targetPercent 99.5 is 0.995, not 0.9950000000000001');
    assert.equal(defs[1]!.target, 0.999);
    assert.match(exported, /target: 0\.999\n/);
    const withDefaults = [
      ...defs,
      def({
        name: 'fleet',
        sli: { type: 'availability', selector: { models: ['scooter', 'ebike'] } },
        target: 0.99,
      }),
    ];
    const first = exportOpenSlo(withDefaults);
    const again = importOpenSlo(first).defs;
    assert.deepEqual(again, withDefaults);
    assert.equal(exportOpenSlo(again), first);
    const t1 = exportTsunagu(withDefaults);
    assert.deepEqual(importTsunagu(t1, new Reader(true)), withDefaults);
    // Default tiers travel with their budget share, so they keep scaling with the window.
    const fleet = YAML.parseAllDocuments(first)[2]!.toJS();
    const cond = fleet.spec.alertPolicies[0].spec.conditions[0];
    assert.equal(cond.spec.condition.threshold, 14.4);
    assert.equal(cond.spec.condition.op, 'gt');
    assert.equal(cond.metadata.annotations['tsunagu.io/budget-share'], '0.02');
  });

  test('a changed definition is exported from the definition, not from the stale document', () => {
    const { defs, objects } = importOpenSlo(FIXTURE);
    const changed = [{ ...defs[0]!, target: 0.9 }, defs[1]!];
    const slo = YAML.parseAllDocuments(exportOpenSlo(changed, objects))[0]!.toJS();
    assert.equal(slo.spec.objectives[0].target, 0.9);
    assert.equal(slo.spec.indicatorRef, undefined, 'generated: inline indicator');
  });

  test('alert conditions: op gte, alertAfter and alertWhenResolved are honoured; lt/lte refused', () => {
    const doc = FIXTURE.replace(
      'condition: { kind: burnrate, threshold: 14.4, lookbackWindow: 1h, alertAfter: 0m }',
      'condition: { kind: burnrate, op: gte, threshold: 14.4, lookbackWindow: 1h, alertAfter: 5m }',
    ).replace(
      '  alertWhenResolved: true\n  conditions:\n    - conditionRef',
      '  alertWhenResolved: false\n  conditions:\n    - conditionRef',
    );
    const tier = importOpenSlo(doc).defs[0]!.alerting.tiers[0]!;
    assert.deepEqual(
      { op: tier.op, after: tier.alertAfterMinutes, quiet: tier.notifyResolved },
      { op: 'gte', after: 5, quiet: false },
    );
    for (const op of ['lt', 'lte']) {
      const err = errorOf(() => importOpenSlo(doc.replace('op: gte', `op: ${op}`)));
      assert.equal(err.field, 'documents[2].spec.condition.op', err.message);
    }
  });

  test('standalone documents of every kind are kept, not dropped', () => {
    const extra = `
---
apiVersion: openslo/v1
kind: AlertCondition
metadata: { name: lonely }
spec: { severity: sev2, condition: { kind: burnrate, op: lte, threshold: 3, lookbackWindow: 2h } }
---
apiVersion: openslo/v1
kind: Service
metadata: { name: scooters, labels: { team: [mobility] } }
spec: { description: Shared scooters }
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata: { name: oncall }
spec: { target: pagerduty }
`;
    const { objects } = importOpenSlo(FIXTURE + extra);
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.name}`),
      [
        'DataSource/unused',
        'SLI/unlock-latency-sli',
        'AlertCondition/fast-burn',
        'AlertPolicy/unlock-page',
        'SLO/unlock-latency',
        'SLO/heartbeats',
        'AlertCondition/lonely',
        'Service/scooters',
        'AlertNotificationTarget/oncall',
      ],
    );
  });

  test('unknown fields are refused with their path', () => {
    const cases: [string, string][] = [
      [
        FIXTURE.replace('  service: scooters', '  service: scooters\n  colour: blue'),
        'documents[4].spec.colour',
      ],
      [
        FIXTURE.replace(
          'kind: SLO\nmetadata:\n  name: heartbeats',
          'kind: SLO\nmetadata:\n  name: heartbeats\n  owner: me',
        ),
        'documents[5].metadata.owner',
      ],
      [
        FIXTURE.replace('  type: Prometheus\n', '  type: Prometheus\n  flavour: vanilla\n'),
        'documents[0].spec.flavour',
      ],
    ];
    for (const [doc, field] of cases) assert.equal(errorOf(() => importOpenSlo(doc)).field, field);
    // Labels and other annotations are fields of the spec: kept with the document.
    const labelled = FIXTURE.replace(
      'metadata: { name: hb }',
      'metadata: { name: hb, labels: { team: ops } }',
    );
    assert.equal(importOpenSlo(labelled).defs.length, 2);
  });

  const INVALID: [string, (doc: string) => string, string][] = [
    [
      'target out of range',
      (d) => d.replace('target: 0.999', 'target: 1.5'),
      'documents[5].spec.objectives[0].target',
    ],
    [
      'wrong apiVersion',
      (d) => d.replace('\napiVersion: openslo/v1', '\napiVersion: openslo/v2'),
      'documents[0].apiVersion',
    ],
    [
      'a policy an SLO uses with notification targets',
      (d) =>
        d.replace(
          '    - conditionRef: fast-burn\n',
          '    - conditionRef: fast-burn\n  notificationTargets:\n    - targetRef: oncall\n',
        ),
      'documents[3].spec.notificationTargets',
    ],
    [
      'severity tsunagu does not page with',
      (d) => d.replace('  severity: page\n', '  severity: sev1\n'),
      'documents[2].spec.severity',
    ],
    [
      'calendar start that is not a period start',
      (d) => d.replace('"2026-01-01 00:00:00"', '"2026-01-01 12:00:00"'),
      'documents[4].spec.timeWindow[0].calendar.startTime',
    ],
    ['a non-object document', (d) => `${d}\n---\n- 42\n`, 'documents[6]'],
    [
      'foreign metric source',
      (d) =>
        d.replace(
          'metricSource: { type: tsunagu, spec: { indicator: events, event: heartbeat.checked, tag',
          'metricSource: { type: Prometheus, spec: { indicator: events, event: heartbeat.checked, tag',
        ),
      'documents[5].spec.indicator.spec.ratioMetric.total.metricSource.type',
    ],
    [
      'unknown indicator',
      (d) => d.replace(/indicator: command-latency/g, 'indicator: telepathy'),
      'documents[1].spec.ratioMetric.total.metricSource.spec.indicator',
    ],
    [
      'good and total disagree',
      (d) =>
        d.replace(
          'thresholdMs: 2000, latency: reply, model: scooter-v2 }\n    total',
          'thresholdMs: 3000, latency: reply, model: scooter-v2 }\n    total',
        ),
      'documents[1].spec.ratioMetric.good.metricSource.spec',
    ],
    [
      'missing budgetingMethod',
      (d) => d.replace('  budgetingMethod: Occurrences\n', ''),
      'documents[5].spec.budgetingMethod',
    ],
    [
      'bad time zone',
      (d) => d.replace('Europe/Berlin', 'Mars/Olympus'),
      'documents[4].spec.timeWindow[0].calendar.timeZone',
    ],
    [
      'bad calendar duration',
      (d) => d.replace('duration: 1M', 'duration: 2M'),
      'documents[4].spec.timeWindow[0].duration',
    ],
    [
      'slices other than 1m',
      (d) => d.replace('timeSliceWindow: 1m', 'timeSliceWindow: 5m'),
      'documents[4].spec.objectives[0].timeSliceWindow',
    ],
    [
      'dangling indicatorRef',
      (d) => d.replace('indicatorRef: unlock-latency-sli', 'indicatorRef: nope'),
      'documents[4].spec.indicatorRef',
    ],
    [
      'dangling conditionRef',
      (d) => d.replace('conditionRef: fast-burn', 'conditionRef: nope'),
      'documents[3].spec.conditions[0].conditionRef',
    ],
    [
      'bad lookbackWindow',
      (d) => d.replace('lookbackWindow: 1h', 'lookbackWindow: soon'),
      'documents[2].spec.condition.lookbackWindow',
    ],
    ['bad name', (d) => d.replace('name: heartbeats', 'name: Heart_Beats'), 'documents[5].metadata.name'],
    ['unknown kind', (d) => d.replace('kind: DataSource', 'kind: Dashboard'), 'documents[0].kind'],
    [
      'bad filter op',
      (d) => d.replace('op: eq', 'op: like'),
      'documents[5].spec.indicator.spec.ratioMetric.good.metricSource.spec.where[0].op',
    ],
    [
      'two objectives',
      (d) => d.replace('objectives: [{ target: 0.999 }]', 'objectives: [{ target: 0.999 }, { target: 0.9 }]'),
      'documents[5].spec.objectives[1]',
    ],
    ['broken YAML', (d) => `${d}\n---\nkind: [`, 'documents[6]'],
  ];
  for (const [name, mutate, field] of INVALID)
    test(`invalid: ${name} → 422 naming ${field}`, () => {
      const doc = mutate(FIXTURE);
      assert.notEqual(doc, FIXTURE, 'the mutation applies');
      const err = errorOf(() => importOpenSlo(doc));
      assert.equal(err.statusCode, 422);
      assert.equal(err.field, field, err.message);
    });

  test('random documents never crash the importer: a definition or a 422', () => {
    const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(
          fc.constantFrom(
            'apiVersion',
            'kind',
            'metadata',
            'spec',
            'name',
            'indicator',
            'ratioMetric',
            'target',
            'x',
          ),
          tie('node'),
          { maxKeys: 4 },
        ),
      ),
    })).node;
    fc.assert(
      fc.property(
        tree,
        fc.constantFrom(
          'SLO',
          'SLI',
          'AlertPolicy',
          'AlertCondition',
          'Service',
          'DataSource',
          'AlertNotificationTarget',
        ),
        (spec, kind) => {
          const text = YAML.stringify({ apiVersion: 'openslo/v1', kind, metadata: { name: 'x' }, spec });
          try {
            importOpenSlo(text);
          } catch (err) {
            assert.ok(err instanceof TsunaguError && err.statusCode === 422, String(err));
          }
          try {
            importOpenSlo(`${text.slice(0, Math.floor(text.length / 2))}`);
          } catch (err) {
            assert.ok(err instanceof TsunaguError && err.statusCode === 422, String(err));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
