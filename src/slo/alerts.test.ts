// Multiwindow, multi-burn-rate alerts against the Google SRE Workbook ("Alerting on SLOs"), driven
// minute by minute with ManualClock through the real engine and a SQLite store.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MINUTE, tierThreshold } from './budget.js';
import { def, harness, steady, type Harness } from './testing.js';
import { defaultTiers } from './types.js';

const START = Date.UTC(2026, 0, 10); // a minute boundary

/** Workbook: time to detect = (1 − SLO) / error ratio × long window × burn-rate threshold. */
function detectionMinute(target: number, errorRatio: number, longMinutes: number, threshold: number): number {
  const detect = ((1 - target) / errorRatio) * longMinutes * threshold;
  // Fires when the long-window burn strictly exceeds the threshold, at the first whole minute after.
  return Math.floor(detect + 1e-9) + 1;
}

/** Count `bad` of `total` events in each of the next `minutes` minutes, advancing the clock. */
function run(h: Harness, sloId: string, minutes: number, good: number, total: number): void {
  for (let i = 0; i < minutes; i++) {
    h.engine.count(sloId, h.minute(), good, total);
    h.clock.advance(MINUTE);
  }
}

function firedAt(h: Harness, tier: string, state: 'firing' | 'resolved' = 'firing'): number[] {
  return h.alerts.filter((a) => a.tier === tier && a.state === state).map((a) => (a.at - START) / MINUTE);
}

const slo = (extra: Record<string, unknown> = {}) =>
  def({ name: 'unlock', sli: { type: 'command-success', command: 'unlock' }, target: 0.999, ...extra });

describe('burn-rate thresholds (SRE Workbook table 5-8)', () => {
  test('30-day window: 14.4, 6, 1', () => {
    const [a, b, c] = defaultTiers().map((t) => tierThreshold(t, 30 * 1440));
    assert.ok(
      Math.abs(a! - 14.4) < 1e-9 && Math.abs(b! - 6) < 1e-9 && Math.abs(c! - 1) < 1e-9,
      `${a} ${b} ${c}`,
    );
  });
  test('28-day window: 13.44, 5.6, 0.933', () => {
    const [a, b, c] = defaultTiers().map((t) => tierThreshold(t, 28 * 1440));
    assert.ok(Math.abs(a! - 13.44) < 1e-9 && Math.abs(b! - 5.6) < 1e-9 && Math.abs(c! - 0.9333333333) < 1e-9);
  });
});

describe('alert timing with ManualClock', () => {
  const seedGood = (minutes: number) => async (s: Harness['store']) =>
    s.addCounters(steady('unlock', START / MINUTE - minutes, START / MINUTE, 100, 100));

  test('100% outage: each tier fires at the minute the workbook formula gives, then resolves', async (t) => {
    const h = await harness({ start: START, defs: [slo()], seed: seedGood(4400) });
    t.after(() => h.close());
    run(h, 'unlock', 10, 0, 100); // outage from START for 10 minutes
    // 0.001 / 1 × 60 min × 14.4 = 0.864 min → the first evaluation after one full minute.
    assert.equal(detectionMinute(0.999, 1, 60, 14.4), 1);
    assert.deepEqual(firedAt(h, 'page-1h'), [detectionMinute(0.999, 1, 60, 14.4)]);
    assert.deepEqual(firedAt(h, 'page-6h'), [detectionMinute(0.999, 1, 360, 6)]); // 2.16 → 3
    assert.deepEqual(firedAt(h, 'ticket-3d'), [detectionMinute(0.999, 1, 4320, 1)]); // 4.32 → 5
    run(h, 'unlock', 40, 100, 100); // recovered
    // Resolves when the short window no longer exceeds: 5m window clean 5 minutes after the outage.
    assert.deepEqual(firedAt(h, 'page-1h', 'resolved'), [10 + 5]);
    assert.deepEqual(firedAt(h, 'page-6h', 'resolved'), [10 + 30]);
    assert.deepEqual(firedAt(h, 'ticket-3d', 'resolved'), []); // its short window is 6h
    const page = h.alerts.find((a) => a.tier === 'page-1h')!;
    assert.equal(page.severity, 'page');
    assert.equal(page.sloId, 'unlock');
    await h.engine.idle();
    const stored = await h.store.listAlerts({ sloId: 'unlock', limit: 10 });
    assert.equal(stored.length, 3);
    assert.equal(stored.find((a) => a.tier === 'page-1h')!.resolvedAt, START + 15 * MINUTE);
    assert.equal(stored.find((a) => a.tier === 'ticket-3d')!.resolvedAt, null);
  });

  test('steady 10× burn fires the 6h tier (and the 3d ticket) but never the 1h tier', async (t) => {
    const h = await harness({ start: START, defs: [slo()], seed: seedGood(4400) });
    t.after(() => h.close());
    run(h, 'unlock', 440, 99, 100); // error ratio 0.01 = 10 × the allowed 0.001
    assert.deepEqual(firedAt(h, 'page-1h'), []);
    assert.deepEqual(firedAt(h, 'page-6h'), [detectionMinute(0.999, 0.01, 360, 6)]); // 216 → 217
    assert.deepEqual(firedAt(h, 'ticket-3d'), [detectionMinute(0.999, 0.01, 4320, 1)]); // 432 → 433
    assert.deepEqual(firedAt(h, 'page-6h'), [217]);
  });

  test('a burn below the lowest tier never alerts', async (t) => {
    const h = await harness({
      start: START,
      defs: [slo()],
      seed: (s) => s.addCounters(steady('unlock', START / MINUTE - 4400, START / MINUTE, 9991, 10000)),
    });
    t.after(() => h.close());
    run(h, 'unlock', 120, 9991, 10000); // burn 0.9 < 1 (ticket), < 6, < 14.4
    assert.equal(h.engine.status('unlock').burnRates['3d']!.toFixed(3), '0.900');
    assert.deepEqual(h.alerts, []);
  });

  test('low-traffic protection: no tier fires before minEvents events in the long window', async (t) => {
    const h = await harness({
      start: START,
      defs: [slo(), slo({ name: 'eager', alerting: { minEvents: 0 } })],
    });
    t.after(() => h.close());
    for (let i = 0; i < 25; i++) {
      h.engine.count('unlock', h.minute(), 0, 1); // one failed unlock a minute, nothing else
      h.engine.count('eager', h.minute(), 0, 1);
      h.clock.advance(MINUTE);
    }
    assert.deepEqual(
      h.alerts
        .filter((a) => a.sloId === 'unlock' && a.tier === 'page-1h')
        .map((a) => (a.at - START) / MINUTE),
      [20], // default minEvents 20
    );
    assert.deepEqual(
      h.alerts.filter((a) => a.sloId === 'eager' && a.tier === 'page-1h').map((a) => (a.at - START) / MINUTE),
      [1],
    );
  });

  test('tiers can be changed or turned off per SLO', async (t) => {
    const h = await harness({
      start: START,
      defs: [
        slo({ name: 'silent', alerting: { tiers: [] } }),
        slo({
          name: 'custom',
          alerting: {
            tiers: [
              { name: 'fast', severity: 'ticket', longWindow: '10m', shortWindow: '2m', burnRate: 500 },
            ],
          },
        }),
      ],
    });
    t.after(() => h.close());
    for (let i = 0; i < 30; i++) {
      for (const id of ['silent', 'custom']) h.engine.count(id, h.minute(), 0, 100);
      h.clock.advance(MINUTE);
    }
    assert.equal(h.alerts.filter((a) => a.sloId === 'silent').length, 0);
    const custom = h.alerts.filter((a) => a.sloId === 'custom');
    assert.deepEqual(
      custom.map((a) => [a.tier, a.severity, a.state, (a.at - START) / MINUTE]),
      [['fast', 'ticket', 'firing', 1]],
    );
  });

  test('budget exhaustion is emitted once per exhaustion, and again after recovery', async (t) => {
    const h = await harness({ start: START, defs: [slo({ window: { rolling: '1h' } })] });
    t.after(() => h.close());
    run(h, 'unlock', 30, 100, 100);
    run(h, 'unlock', 5, 0, 100); // far beyond 0.1% of 3,500 events
    assert.equal(h.exhausted.length, 1);
    assert.equal(h.exhausted[0]!.at, START + 31 * MINUTE);
    run(h, 'unlock', 120, 100, 100); // the bad minutes leave the 1h window
    assert.equal(h.exhausted.length, 1);
    run(h, 'unlock', 2, 0, 100);
    assert.equal(h.exhausted.length, 2);
  });

  test('firing state survives a restart and resolves afterwards', async (t) => {
    let h = await harness({ start: START, defs: [slo()], seed: seedGood(4400) });
    t.after(() => h.close());
    run(h, 'unlock', 3, 0, 100);
    await h.engine.idle();
    h = await h.restart();
    run(h, 'unlock', 1, 0, 100);
    assert.deepEqual(h.alerts, [], 'no duplicate firing after restart');
    run(h, 'unlock', 10, 100, 100);
    assert.deepEqual(firedAt(h, 'page-1h', 'resolved'), [4 + 5]);
    await h.engine.idle();
    const open = await h.store.listAlerts({ state: 'firing', limit: 10 });
    assert.deepEqual(
      open.map((a) => a.tier),
      ['page-6h'],
    ); // 4 bad minutes: the 3d tier needs 5
  });

  test('alertAfter: the condition must hold that long; notifyResolved false resolves quietly', async (t) => {
    const tier = { name: 'fast', severity: 'page', longWindow: '10m', shortWindow: '2m', burnRate: 10 };
    const h = await harness({
      start: START,
      defs: [
        slo({ name: 'now', alerting: { minEvents: 0, tiers: [tier] } }),
        slo({ name: 'after', alerting: { minEvents: 0, tiers: [{ ...tier, alertAfter: '3m' }] } }),
        slo({ name: 'quiet', alerting: { minEvents: 0, tiers: [{ ...tier, notifyResolved: false }] } }),
      ],
    });
    t.after(() => h.close());
    const all = (id: string, good: number) => h.engine.count(id, h.minute(), good, 100);
    for (let m = 0; m < 6; m++) {
      for (const id of ['now', 'after', 'quiet']) all(id, 0);
      h.clock.advance(MINUTE);
    }
    for (let m = 0; m < 4; m++) {
      for (const id of ['now', 'after', 'quiet']) all(id, 100);
      h.clock.advance(MINUTE);
    }
    const of = (id: string) =>
      h.alerts.filter((a) => a.sloId === id).map((a) => [a.state, (a.at - START) / MINUTE]);
    assert.deepEqual(of('now'), [
      ['firing', 1],
      ['resolved', 8],
    ]);
    assert.deepEqual(of('after'), [
      ['firing', 4],
      ['resolved', 8],
    ]);
    assert.deepEqual(of('quiet'), [['firing', 1]]);
    await h.engine.idle();
    const stored = await h.store.listAlerts({ sloId: 'quiet', limit: 5 });
    assert.equal(stored[0]!.resolvedAt, START + 8 * MINUTE, 'resolved all the same');
  });
});
