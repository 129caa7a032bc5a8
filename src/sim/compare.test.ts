import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { compareResults, readResult } from './compare.js';
import { ownVariation, resultMetrics, type LoadtestResult, type Window } from './loadtest-result.js';
import { summarize } from './stats.js';

/** A load run whose step p99s are `p99s`, each step's halves differing by ±`halfNoise`. */
function loadRun(p99s: number[], halfNoise: number): LoadtestResult {
  const steps: Window[] = p99s.map((p99, i) => ({
    devices: 100 * 2 ** i,
    online: 100 * 2 ** i,
    durationS: 10,
    msgPerSec: 100 * 2 ** i,
    publish: { ...summarize([p99 / 3, p99 / 2, p99]), p99 },
    p99Halves: [p99 * (1 - halfNoise / 2), p99 * (1 + halfNoise / 2)],
    errorRate: 0,
    broken: i === p99s.length - 1 ? ['p99 publish latency < 100ms'] : [],
    clientRssBytes: 1,
    clientHeapBytes: 1,
  }));
  const base: Omit<LoadtestResult, 'metrics'> = {
    tool: 'tsunagu loadtest',
    version: 1,
    mode: 'load',
    startedAt: new Date(0).toISOString(),
    url: 'mqtt://127.0.0.1:1',
    profile: 'scooter',
    latencyMetric: 'publish',
    slo: ['p99 publish latency < 100ms'],
    notes: [],
    options: {},
    steps,
    lastGood: steps[steps.length - 2] ?? null,
  };
  return { ...base, metrics: resultMetrics(base) };
}

describe('loadtest compare', () => {
  const baseline = [10, 14, 22, 40, 120];

  test("a run's own variation is the median half-to-half difference", () => {
    assert.ok(Math.abs(ownVariation(loadRun(baseline, 0.06)) - 0.06) < 1e-9);
  });

  test('flags a planted degradation and nothing else', () => {
    const a = loadRun(baseline, 0.04);
    const b = loadRun([10, 14, 33, 40, 120], 0.04); // step 3's p99 is 50 % worse
    const c = compareResults(a, b);
    assert.equal(c.degraded, true);
    assert.deepEqual(
      c.rows.filter((r) => r.degraded).map((r) => r.metric),
      ['p99 publish latency at 400 devices'],
    );
  });

  test('does not flag noise within the rule', () => {
    const a = loadRun(baseline, 0.04);
    const b = loadRun([10.6, 13.3, 23.5, 38, 127], 0.05);
    const c = compareResults(a, b);
    assert.equal(c.degraded, false, JSON.stringify(c.rows));
  });

  test('a noisy run widens its own threshold: 25 % worse is noise when halves differ by 15 %', () => {
    const noisy = compareResults(
      loadRun(baseline, 0.15),
      loadRun(
        baseline.map((v) => v * 1.25),
        0.15,
      ),
    );
    assert.equal(noisy.degraded, false);
    const quiet = compareResults(
      loadRun(baseline, 0.02),
      loadRun(
        baseline.map((v) => v * 1.25),
        0.02,
      ),
    );
    assert.equal(quiet.degraded, true);
  });

  test('a run where no step met the SLO is worse than one where some did', () => {
    const c = compareResults(loadRun(baseline, 0.02), loadRun([200], 0.02));
    assert.ok(c.rows.some((r) => r.metric === 'last good step: devices' && r.b === 0 && r.degraded));
  });

  test('fewer devices at the last good step is a degradation (higher is better)', () => {
    const a = loadRun(baseline, 0.02);
    const b = loadRun(baseline.slice(0, 3), 0.02);
    const c = compareResults(a, b);
    assert.ok(c.rows.some((r) => r.metric === 'last good step: devices' && r.degraded));
  });

  test('property: changes under max(10 %, 2 × variation) are never flagged', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 5, max: 500, noNaN: true }), { minLength: 2, maxLength: 6 }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        fc.double({ min: 0.5, max: 1.0999, noNaN: true }),
        (p99s, noise, factor) => {
          const a = loadRun(p99s, noise);
          const b = loadRun(
            p99s.map((v) => v * factor),
            noise,
          );
          return !compareResults(a, b).degraded;
        },
      ),
      { numRuns: 300 },
    );
  });

  test('result files round-trip through JSON and bad files are refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-compare-'));
    try {
      const f = join(dir, 'a.json');
      writeFileSync(f, JSON.stringify(loadRun(baseline, 0.04)));
      assert.equal(compareResults(readResult(f), readResult(f)).degraded, false);
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ tool: 'other' }));
      assert.throws(() => readResult(bad), /not a tsunagu loadtest result/);
      writeFileSync(bad, '{');
      assert.throws(() => readResult(bad), /not a readable JSON file/);
      assert.throws(
        () => compareResults(loadRun(baseline, 0), { ...loadRun(baseline, 0), mode: 'soak' }),
        /cannot compare/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
