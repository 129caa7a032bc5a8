// OpenSLO documents written by others (src/slo/fixtures, sources in its README): every one is either
// imported — kept verbatim and exported back unchanged — or refused with a 422 that names the field.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { TsunaguError } from '../core/errors.js';
import { exportOpenSlo, importOpenSlo } from './openslo.js';
import { readDocuments } from './openslo-kinds.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function refusal(text: string): { field: string | undefined; message: string } {
  try {
    importOpenSlo(text);
  } catch (err) {
    assert.ok(err instanceof TsunaguError, String(err));
    assert.equal(err.statusCode, 422);
    return { field: err.field, message: err.message };
  }
  assert.fail('expected a 422');
}

describe('OpenSLO documents from OpenSLO/oslo and OpenSLO/go-sdk', () => {
  for (const [name, count] of [
    ['oslo-alert-condition.yaml', 1],
    ['oslo-alert-policy-inline-cond.yaml', 1],
    ['oslo-data-source-cloudwatch.yaml', 1],
    // A list of AlertPolicies, AlertConditions and AlertNotificationTargets referring to each other.
    ['gosdk-alert-policies-remove-refs.yaml', 7],
  ] as const)
    test(`${name}: imported and exported back unchanged`, () => {
      const text = fixture(name);
      const { defs, objects } = importOpenSlo(text);
      assert.deepEqual(defs, []);
      assert.equal(objects.length, count);
      const back = YAML.parseAllDocuments(exportOpenSlo([], objects)).map((d) => d.toJS() as unknown);
      assert.deepEqual(
        back,
        readDocuments(text).map((d) => d.value),
      );
    });

  const refused: [string, string, RegExp][] = [
    // A list of documents (oslo's validate input); the third Service's name has a space.
    ['oslo-validate-v1.yaml', 'documents[2].metadata.name', /must match/],
    // A threshold metric (CloudWatch) behind indicatorRef.
    ['oslo-multi.yaml', 'documents[1].spec.thresholdMetric', /not supported/],
    ['gosdk-inline-v1-slo.yaml', 'documents[1].spec.thresholdMetric', /not supported/],
  ];
  for (const [name, field, message] of refused)
    test(`${name}: refused naming ${field}`, () => {
      const r = refusal(fixture(name));
      assert.equal(r.field, field, r.message);
      assert.match(r.message, message);
    });

  test('go-sdk AlertCondition with op: lte, used by an SLO, is refused at its op (not turned into >)', () => {
    const gosdk = fixture('gosdk-alert-policies-remove-refs.yaml');
    const stored = importOpenSlo(gosdk).objects; // kept as written, op and all
    const cond = stored.find((o) => o.kind === 'AlertCondition')!;
    assert.equal((cond.document.spec as { condition: { op: string } }).condition.op, 'lte');
    const slo = `
- apiVersion: openslo/v1
  kind: SLO
  metadata: { name: unlocks }
  spec:
    indicator:
      spec:
        ratioMetric:
          good: { metricSource: { type: tsunagu, spec: { indicator: command-success } } }
          total: { metricSource: { type: tsunagu, spec: { indicator: command-success } } }
    budgetingMethod: Occurrences
    objectives: [{ target: 0.999 }]
    alertPolicies:
      - kind: AlertPolicy
        metadata: { name: p }
        spec: { alertWhenBreaching: true, conditions: [{ conditionRef: cpu-usage-breach }] }
`;
    const r = refusal(`${gosdk}\n${slo}`);
    assert.equal(r.field, 'documents[4].spec.condition.op', r.message);
  });
});
