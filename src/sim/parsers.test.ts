import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TsunaguError } from '../core/errors.js';
import { parseFaults, parseInject } from './faults.js';
import { brokenObjectives, parseSlo } from './slo.js';
import { summarize } from './stats.js';
import { parseHostPort, parseMqttUrl } from './simulation.js';

describe('SLO grammar', () => {
  const ok: [string, { quantile: string; metric: string; thresholdMs: number }[]][] = [
    ['p99 command latency < 300ms', [{ quantile: 'p99', metric: 'command', thresholdMs: 300 }]],
    ['p95 publish latency<50 ms', [{ quantile: 'p95', metric: 'publish', thresholdMs: 50 }]],
    ['P50 ack < 2s', [{ quantile: 'p50', metric: 'publish', thresholdMs: 2000 }]],
    ['p99 publish→ack latency < 20', [{ quantile: 'p99', metric: 'publish', thresholdMs: 20 }]],
    [
      'p99 command latency < 300ms and p99 connect < 1.5s',
      [
        { quantile: 'p99', metric: 'command', thresholdMs: 300 },
        { quantile: 'p99', metric: 'connect', thresholdMs: 1500 },
      ],
    ],
  ];
  for (const [text, want] of ok)
    test(`parses "${text}"`, () => {
      assert.deepEqual(
        parseSlo(text).map(({ quantile, metric, thresholdMs }) => ({ quantile, metric, thresholdMs })),
        want,
      );
    });
  for (const bad of [
    '',
    'p98 command latency < 300ms',
    'p99 disk latency < 3ms',
    'p99 command latency > 300ms',
    'fast please',
  ])
    test(`rejects "${bad}"`, () => {
      assert.throws(
        () => parseSlo(bad),
        (e: unknown) => e instanceof TsunaguError && e.code === 'SIM_SLO_INVALID',
      );
    });

  test('random text never crashes the parser (it parses or throws SIM_SLO_INVALID)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        try {
          parseSlo(s);
        } catch (e) {
          if (!(e instanceof TsunaguError) || e.code !== 'SIM_SLO_INVALID') throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('an objective breaks when the quantile reaches the threshold', () => {
    const slo = parseSlo('p99 publish latency < 10ms');
    const fast = summarize(Array.from({ length: 100 }, (_, i) => (i < 99 ? 1 : 9)));
    const slow = summarize(Array.from({ length: 100 }, (_, i) => (i < 98 ? 1 : 10)));
    assert.deepEqual(brokenObjectives(slo, { publish: fast }), []);
    assert.equal(brokenObjectives(slo, { publish: slow }).length, 1);
    assert.deepEqual(brokenObjectives(slo, {}), [], 'no samples break nothing');
  });
});

describe('fault options', () => {
  test('--faults maps short names to profile fields', () => {
    assert.deepEqual(
      parseFaults('battery=2, burst=1,drop=0.5,flap=0.1,slow=0.2,malformed=0.05,dropDownS=30'),
      {
        batteryPerHour: 2,
        burstPerHour: 1,
        dropPerHour: 0.5,
        flapPerHour: 0.1,
        slowReplyShare: 0.2,
        malformedShare: 0.05,
        dropDownS: 30,
      },
    );
  });
  for (const bad of ['meteor=1', 'drop', 'drop=-1', 'slow=2', 'burstSize=1.5', 'drop=1=2'])
    test(`--faults rejects "${bad}"`, () => assert.throws(() => parseFaults(bad), /--faults/));
  test('--inject', () => {
    assert.deepEqual(parseInject('drop:100@30'), { kind: 'drop', count: 100, atS: 30 });
    assert.deepEqual(parseInject('battery@1.5'), { kind: 'battery', count: undefined, atS: 1.5 });
    assert.throws(() => parseInject('meteor@1'), /unknown fault/);
    assert.throws(() => parseInject('drop:x@1'), /kind\[:count\]@seconds/);
  });
  test('URLs', () => {
    assert.deepEqual(parseMqttUrl('mqtt://127.0.0.1:1884'), { host: '127.0.0.1', port: 1884 });
    assert.deepEqual(parseMqttUrl('mqtt://localhost'), { host: 'localhost', port: 1883 });
    assert.throws(() => parseMqttUrl('mqtts://x:8883'), /plain TCP/);
    assert.throws(() => parseMqttUrl('nope'), /not a URL/);
    assert.deepEqual(parseHostPort('127.0.0.1:7000', '--telegram'), { host: '127.0.0.1', port: 7000 });
    assert.throws(() => parseHostPort('7000', '--telegram'), /host:port/);
  });
});
