/**
 * The per-message sampling decision (`messageParent`, tracing.ts): a countdown to the next new root
 * instead of a draw per message must still keep each root-eligible message with probability
 * `ratio`. No SDK here: the decision is made before anything of the SDK is touched.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { messageParent, setMessageTracing } from './tracing.js';

const sampledCount = (n: number, root = true): number => {
  let kept = 0;
  for (let i = 0; i < n; i++) if (messageParent(undefined, root) !== undefined) kept++;
  return kept;
};

describe('per-message sampling', () => {
  afterEach(() => setMessageTracing(false));

  test('keeps new roots at the ratio (binomial bounds, about 6 standard deviations)', () => {
    for (const [ratio, n] of [
      [0.01, 200_000],
      [0.1, 50_000],
      [0.5, 20_000],
    ] as const) {
      setMessageTracing(true, ratio);
      const kept = sampledCount(n);
      const mean = n * ratio;
      const sd = Math.sqrt(n * ratio * (1 - ratio));
      assert.ok(Math.abs(kept - mean) < 6 * sd, `ratio ${ratio}: kept ${kept} of ${n}, expected ≈ ${mean}`);
    }
  });

  test('gaps between sampled messages vary (not every 1/ratio-th message)', () => {
    setMessageTracing(true, 0.05);
    const gaps = new Set<number>();
    let last = 0;
    for (let i = 1; i <= 20_000; i++)
      if (messageParent(undefined, true) !== undefined) {
        gaps.add(i - last);
        last = i;
      }
    assert.ok(gaps.size > 20, `${gaps.size} distinct gaps`);
  });

  test('ratio 0 keeps nothing, ratio 1 everything, tiny ratios almost nothing', () => {
    setMessageTracing(true, 0);
    assert.equal(sampledCount(10_000), 0);
    setMessageTracing(true, 1);
    assert.equal(sampledCount(10_000), 10_000);
    setMessageTracing(true, 1e-300);
    assert.equal(sampledCount(10_000), 0);
  });

  test('no root when roots are not allowed ($SYS/, NATS receivers) or tracing is off', () => {
    setMessageTracing(true, 1);
    assert.equal(sampledCount(1000, false), 0);
    setMessageTracing(false);
    assert.equal(sampledCount(1000), 0);
  });

  test("a message's traceparent decides, whatever the ratio", () => {
    setMessageTracing(true, 0);
    const tp = (flags: string): { traceparent: string } => ({
      traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-${flags}`,
    });
    assert.equal(messageParent(tp('00'), true), undefined);
    // Without a registered propagator the extracted context carries nothing, but it is a parent.
    assert.notEqual(messageParent(tp('01'), true), undefined);
  });
});
