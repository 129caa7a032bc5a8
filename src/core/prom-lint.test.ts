// The Prometheus naming rules (prom-lint.ts, after promtool's promlint) on fixture expositions, and
// the whole platform's /metrics held to them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform } from '../test-support/platform.js';
import { lintMetrics } from './prom-lint.js';

const family = (name: string, type: string, sample = `${name} 1`) =>
  `# HELP ${name} Something.\n# TYPE ${name} ${type}\n${sample}\n`;

describe('prom-lint rules', () => {
  const cases: [string, string, string | undefined][] = [
    [family('x_requests_total', 'counter'), 'counter ok', undefined],
    [
      family('x_requests', 'counter'),
      'counter without _total',
      'counter metrics should have "_total" suffix',
    ],
    [
      family('x_messages_sent_total', 'gauge'),
      'gauge with _total',
      'non-counter metrics should not have "_total" suffix',
    ],
    [
      family('x_queue_count', 'gauge'),
      'reserved suffix',
      'non-histogram and non-summary metrics should not have a reserved suffix',
    ],
    [
      family('x_latency_milliseconds', 'gauge'),
      'non-base unit',
      'use base unit "seconds" instead of "milliseconds"',
    ],
    [family('x_uptime_minutes', 'gauge'), 'minutes', 'use base unit "seconds" instead of "minutes"'],
    [family('x_latency_ms', 'gauge'), 'abbreviation', '"ms" is an abbreviation: write the unit out'],
    [family('x_queue_gauge', 'gauge'), 'type in name', 'metric name should not include type "gauge"'],
    [family('xQueue', 'gauge'), 'camel case', 'metric names are snake_case without colons'],
    [family('x_q', 'gauge', 'x_q{le="1"} 1'), 'le label', 'non-histogram metrics should not have "le" label'],
    ['# TYPE x_q gauge\nx_q 1\n', 'no help', 'no help text'],
    [family('x_evaluated_minute_timestamp_seconds', 'gauge'), 'seconds is the unit', undefined],
    [
      '# HELP x_wait_seconds H.\n# TYPE x_wait_seconds histogram\nx_wait_seconds_bucket{le="1"} 1\nx_wait_seconds_sum 1\nx_wait_seconds_count 1\n',
      'histogram',
      undefined,
    ],
  ];
  for (const [text, what, problem] of cases)
    test(what, () => {
      assert.deepEqual(
        lintMetrics(text).map((p) => p.text),
        problem === undefined ? [] : [problem],
      );
    });
});

describe('/metrics of the whole platform', () => {
  test('follows the Prometheus naming rules (what promtool check metrics enforces)', async (t) => {
    const p = await startTestPlatform({ allowAnonymous: true });
    t.after(() => p.close());
    const r = await p.app.http.inject({ method: 'GET', url: '/metrics' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(lintMetrics(r.body), []);
    assert.match(r.body, /# TYPE tsunagu_mqtt_messages_received_total counter/);
    assert.match(r.body, /# TYPE tsunagu_mqtt_wills_denied_total counter/);
  });
});
