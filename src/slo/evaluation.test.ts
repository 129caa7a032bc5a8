// When the engine evaluates and what its values describe (issue 20): each closed minute is
// evaluated just after it closes, labelled with that minute in status and /metrics; the low-traffic
// guard holds alerts back but never changes SLI, budget or burn; windows are anchored on the
// evaluation time, not on the newest (possibly future-dated) event; threshold decisions are exact.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { MINUTE } from './budget.js';
import { registerSloMetrics } from './metrics.js';
import { def, harness } from './testing.js';

const START = Date.UTC(2026, 0, 10);
const DELAY = 2000; // the engine's default evaluation delay

function gauge(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const heartbeat = (h: { bus: { emit: (...a: never[]) => void } }, at: number, received: boolean) =>
  (h.bus.emit as (n: 'heartbeat.checked', p: { deviceId: string; at: number; received: boolean }) => void)(
    'heartbeat.checked',
    { deviceId: 'd1', at, received },
  );

describe('evaluation of closed minutes', () => {
  test('low traffic: 1 bad of 10 shows SLI 0.9 and burn 1000 (99.99%), alert held back', async (t) => {
    const h = await harness({
      start: START,
      evaluationDelayMs: DELAY,
      defs: [def({ name: 'hb', sli: { type: 'heartbeat' }, target: 0.9999 })],
    });
    t.after(() => h.close());
    const registry = new Registry();
    registerSloMetrics(registry, h.engine);
    h.clock.advance(20_000);
    for (let i = 0; i < 10; i++) heartbeat(h, h.clock.now() + i * 1000, i !== 9);
    h.clock.advance(40_000 + DELAY); // minute 0 closed 2 s ago
    const text = await registry.metrics();
    assert.equal(gauge(text, 'tsunagu_slo_sli_ratio', 'slo="hb"'), 0.9);
    assert.equal(gauge(text, 'tsunagu_slo_burn_rate', 'slo="hb",window="5m"'), 1000);
    assert.equal(gauge(text, 'tsunagu_slo_evaluated_minute_timestamp_seconds', 'slo="hb"'), START / 1000);
    const st = h.engine.status('hb');
    assert.equal(st.sli, 0.9);
    assert.equal(st.burnRates['5m'], 1000);
    assert.equal(st.minute, START);
    assert.equal(st.evaluatedAt, START + MINUTE + DELAY);
    assert.deepEqual(h.alerts, [], 'minEvents 20 holds the alert back');
  });

  test('100% outage: the 5m burn counts every closed outage minute (800 after 4 of 5)', async (t) => {
    const h = await harness({
      start: START,
      evaluationDelayMs: DELAY,
      defs: [def({ name: 'hb', sli: { type: 'heartbeat' }, target: 0.999 })],
    });
    t.after(() => h.close());
    const registry = new Registry();
    registerSloMetrics(registry, h.engine);
    const seen: { minute: number; burn: number | undefined }[] = [];
    for (let m = 0; m < 10; m++) {
      const base = START + m * MINUTE;
      for (let i = 0; i < 5; i++) heartbeat(h, base + 5000 + i * 10_000, m < 5);
      // The minute's last event is stamped inside it but delivered 200 ms after it closed (as a
      // heartbeat deadline found by the health wheel, up to 250 ms late).
      h.clock.set(base + MINUTE + 200);
      heartbeat(h, base + MINUTE - 100, m < 5);
      h.clock.set(base + MINUTE + DELAY);
      const text = await registry.metrics();
      const minute = gauge(text, 'tsunagu_slo_evaluated_minute_timestamp_seconds', 'slo="hb"');
      seen.push({
        minute: ((minute ?? NaN) * 1000 - START) / MINUTE,
        burn: gauge(text, 'tsunagu_slo_burn_rate', 'slo="hb",window="5m"'),
      });
    }
    assert.deepEqual(
      seen.map((s) => s.minute),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.deepEqual(
      seen.map((s) => s.burn),
      [0, 0, 0, 0, 0, 1000, 1000, 1000, 1000, 1000].map((v, i) =>
        i < 5 ? v : (Math.min(i - 4, 5) / 5) * 1000,
      ),
    );
  });

  test('time slices: 3 good of 7 slices is SLI 0.43 and the alert fires, last slice delivered late', async (t) => {
    const tier = { name: 'slices', severity: 'page', longWindow: '10m', shortWindow: '5m', burnRate: 2 };
    const h = await harness({
      start: START,
      evaluationDelayMs: DELAY,
      defs: [
        def({
          name: 'ts',
          sli: { type: 'heartbeat' },
          target: 0.9,
          budgeting: { method: 'timeslices', sliceTarget: 0.95 },
          alerting: { minEvents: 5, tiers: [tier] },
        }),
      ],
    });
    t.after(() => h.close());
    const good = [true, true, true, false, false, false, false];
    good.forEach((ok, m) => {
      const base = START + m * MINUTE;
      for (let i = 0; i < 19; i++) heartbeat(h, base + i * 3000, ok || i < 18);
      h.clock.set(base + MINUTE + 150);
      heartbeat(h, base + MINUTE - 50, ok); // a bad slice: 18 of 20 (0.9 < 0.95), the last one late
      h.clock.set(base + MINUTE + DELAY);
    });
    const st = h.engine.status('ts');
    assert.deepEqual([st.good, st.total], [3, 7]);
    assert.equal(st.sli!.toFixed(2), '0.43');
    assert.equal(st.minute, START + 6 * MINUTE);
    // After minute 4: 2 bad of 5 slices, a burn of (2/5)/0.1 = 4 > 2 in both windows, 5 slices ≥ minEvents.
    assert.deepEqual(
      h.alerts.map((a) => [a.tier, a.state, (a.at - START) / MINUTE]),
      [['slices', 'firing', 5]],
    );
  });

  test('a future-dated event does not move the window: old events leave (and stay) on time', async (t) => {
    const h = await harness({
      start: START,
      defs: [def({ name: 'hb', sli: { type: 'heartbeat' }, target: 0.99, window: { rolling: '30d' } })],
    });
    t.after(() => h.close());
    heartbeat(h, START + 30_000, false); // minute 0: bad
    heartbeat(h, START + 1000 * MINUTE, false); // minute 1000: bad
    h.clock.set(START + (30 * 1440 - 1) * MINUTE);
    heartbeat(h, h.clock.now() + 24 * 3600_000 - 1, true); // a device clock 24 h ahead
    h.clock.advance(2 * MINUTE); // minute 0 is now 30 days and one minute old
    let st = h.engine.status('hb');
    assert.equal(st.window.start, START + MINUTE);
    assert.deepEqual([st.good, st.total], [0, 1], 'minute 0 out, minute 1000 in, the future event not yet');
    h.clock.advance(24 * 60 * MINUTE);
    st = h.engine.status('hb');
    assert.deepEqual([st.good, st.total], [1, 1], 'minute 1000 out, the once-future event in');
  });
});

describe('exact alert decisions', () => {
  test('a burn exactly at the threshold does not fire; one event more does', async (t) => {
    // 99.9%, fixed threshold 10: 1 bad of 100 is a burn of exactly 10 (floats say 9.999…98 or 10.000…02).
    const tier = { name: 'ten', severity: 'page', longWindow: '5m', shortWindow: '5m', burnRate: 10 };
    const h = await harness({
      start: START,
      defs: [
        def({
          name: 'at',
          sli: { type: 'heartbeat' },
          target: 0.999,
          alerting: { minEvents: 0, tiers: [tier] },
        }),
        def({
          name: 'over',
          sli: { type: 'heartbeat' },
          target: 0.999,
          alerting: { minEvents: 0, tiers: [tier] },
        }),
      ],
    });
    t.after(() => h.close());
    h.engine.count('at', h.minute(), 99, 100);
    h.engine.count('over', h.minute(), 98, 100);
    h.clock.advance(MINUTE);
    assert.deepEqual(
      h.alerts.map((a) => a.sloId),
      ['over'],
    );
    assert.equal(h.engine.status('at').burnRates['5m'], 10);
  });
});

describe('budget exhaustion notification', () => {
  const exhaust = async (alerting: Record<string, unknown>) => {
    const h = await harness({
      start: START,
      defs: [def({ name: 'x', sli: { type: 'heartbeat' }, target: 0.99, alerting })],
    });
    h.engine.count('x', h.minute(), 0, 100);
    h.clock.advance(MINUTE);
    const n = h.exhausted.length;
    await h.close();
    return n;
  };
  test('tiers [] is silent; budgetExhausted turns it on or off explicitly', async () => {
    assert.equal(await exhaust({}), 1);
    assert.equal(await exhaust({ tiers: [] }), 0);
    assert.equal(await exhaust({ tiers: [], budgetExhausted: true }), 1);
    assert.equal(await exhaust({ budgetExhausted: false }), 0);
  });
});
