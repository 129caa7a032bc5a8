// The engine, fed through its real ingestion path (bus events as health, commands and telemetry
// emit them, on a ManualClock, with the production evaluation delay), agrees with the brute-force
// reference (reference.ts) at every closed minute: SLI, budget remaining and burn rates as read by
// /metrics, and every alert transition (tier, state, minute). Streams are random: quiet and busy
// minutes, outages, events stamped inside a minute but delivered up to 1.5 s after it closed, and
// events dated in the future (a device clock ahead of ours).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { MINUTE } from './budget.js';
import { registerSloMetrics } from './metrics.js';
import { SloReference, type RefEvent } from './reference.js';
import { def, harness } from './testing.js';

const DELAY = 2000; // the engine's default: each closed minute is evaluated 2 s after it closes
// Minute-aligned starts near DST changes (Europe/Berlin, America/New_York) and a month end.
const BASES = [Date.UTC(2026, 2, 29, 0, 30), Date.UTC(2026, 10, 1, 5, 0), Date.UTC(2026, 0, 31, 22, 0)];

const WINDOWS = [
  { rolling: '1h' },
  { rolling: '6h' },
  { rolling: '1d' },
  { rolling: '28d' },
  { rolling: '30d' },
  { calendar: 'month', timeZone: 'Europe/Berlin' },
  { calendar: 'week', timeZone: 'America/New_York' },
  { calendar: 'quarter', timeZone: 'UTC' },
];
const TIERS = [
  undefined, // the SRE Workbook defaults (14.4 / 6 / 1 at 30 days)
  [
    { name: 'fixed', severity: 'page', longWindow: '10m', shortWindow: '5m', burnRate: 10 },
    { name: 'share', severity: 'ticket', longWindow: '1h', shortWindow: '5m', budgetShare: 0.02 },
  ],
  // OpenSLO's op: gte and alertAfter.
  [
    { name: 'gte', severity: 'page', longWindow: '10m', shortWindow: '2m', burnRate: 10, op: 'gte' },
    {
      name: 'after',
      severity: 'ticket',
      longWindow: '30m',
      shortWindow: '5m',
      burnRate: 2,
      alertAfter: '3m',
    },
  ],
];

const sloArb = fc.record({
  sli: fc.constantFrom('heartbeat', 'command-success', 'decode-health'),
  target: fc.constantFrom(0.9, 0.99, 0.995, 0.999, 0.9999),
  window: fc.constantFrom(...WINDOWS),
  slices: fc.option(fc.constantFrom(0.5, 0.8, 0.9, 0.95), { nil: undefined }),
  minEvents: fc.constantFrom(0, 5, 20),
  tiers: fc.constantFrom(...TIERS),
});

const minuteArb = fc.record({
  events: fc.array(
    fc.record({
      offsetMs: fc.integer({ min: 0, max: MINUTE - 1 }),
      lagMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1500 })),
      futureMinutes: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 1440 })),
    }),
    { maxLength: 6 },
  ),
  badShare: fc.constantFrom(0, 0, 0, 0.2, 0.5, 1),
});

function eventOf(sli: string, i: number, at: number, good: boolean): RefEvent {
  const deviceId = `d${i % 3}`;
  if (sli === 'heartbeat') return { name: 'heartbeat.checked', payload: { deviceId, at, received: good } };
  if (sli === 'command-success')
    return {
      name: 'command.finished',
      payload: {
        commandId: `c${i}`,
        deviceId,
        name: 'unlock',
        status: good ? 'succeeded' : 'timed_out',
        requestedAt: at - 500,
        finishedAt: at,
      },
    };
  return { name: 'device.message', payload: { deviceId, at, topic: 't', kind: 'telemetry', decoded: good } };
}

const close = (a: number, b: number): boolean =>
  Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

function gauge(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('engine through the bus equals the brute-force reference', () => {
  test('every closed minute: SLI, budget, burn rates in /metrics and alert transitions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...BASES),
        sloArb,
        fc.array(minuteArb, { minLength: 20, maxLength: 150 }),
        async (base, s, minutes) => {
          const d = def({
            name: 'ref',
            sli: s.sli === 'command-success' ? { type: s.sli, command: 'unlock' } : { type: s.sli },
            target: s.target,
            window: s.window,
            ...(s.slices !== undefined ? { budgeting: { method: 'timeslices', sliceTarget: s.slices } } : {}),
            alerting: { minEvents: s.minEvents, ...(s.tiers ? { tiers: s.tiers } : {}) },
          });
          const h = await harness({ start: base, defs: [d], evaluationDelayMs: DELAY });
          try {
            const registry = new Registry();
            registerSloMetrics(registry, h.engine);
            const ref = new SloReference(d);
            type Step = { t: number; ev?: RefEvent; end?: number };
            const steps: Step[] = [];
            let n = 0;
            minutes.forEach((m, i) =>
              m.events.forEach((e, j) => {
                const arrival = base + i * MINUTE + e.offsetMs;
                const good = (j + 1) / m.events.length > m.badShare;
                const stamp = arrival + e.futureMinutes * MINUTE;
                steps.push({ t: arrival + e.lagMs, ev: eventOf(s.sli, n++, stamp, good) });
              }),
            );
            const first = base / MINUTE;
            for (let end = first + 1; end <= first + minutes.length; end++)
              steps.push({ t: end * MINUTE + DELAY + 1, end });
            steps.sort((a, b) => a.t - b.t || (a.ev ? 0 : 1) - (b.ev ? 0 : 1));
            ref.evaluate(first); // the engine's evaluation of the minute before the start (no data)
            let seenAlerts = 0;
            for (const step of steps) {
              h.clock.set(Math.max(step.t, h.clock.now()));
              if (step.ev) {
                h.bus.emit(step.ev.name, step.ev.payload);
                ref.add(step.ev);
                continue;
              }
              const end = step.end!;
              const want = ref.status(end);
              const text = await registry.metrics();
              const label = `minute ${end - 1 - first}`;
              const minute = gauge(text, 'tsunagu_slo_evaluated_minute_timestamp_seconds', 'slo="ref"');
              assert.equal(minute, ((end - 1) * MINUTE) / 1000, `${label}: evaluated minute`);
              const sli = gauge(text, 'tsunagu_slo_sli_ratio', 'slo="ref"');
              assert.ok(
                want.sli === null ? sli === undefined : sli !== undefined && close(sli, want.sli),
                `${label}: SLI ${sli} vs ${want.sli}`,
              );
              const budget = gauge(text, 'tsunagu_slo_error_budget_remaining', 'slo="ref"')!;
              assert.ok(
                close(budget, want.budgetRemaining),
                `${label}: budget ${budget} vs ${want.budgetRemaining}`,
              );
              for (const [w, v] of Object.entries(want.burnRates)) {
                const got = gauge(text, 'tsunagu_slo_burn_rate', `slo="ref",window="${w}"`)!;
                assert.ok(close(got, v), `${label}: burn ${w} ${got} vs ${v}`);
              }
              const fired = h.alerts.slice(seenAlerts);
              seenAlerts = h.alerts.length;
              assert.deepEqual(
                fired.map((a) => ({ tier: a.tier, state: a.state, at: a.at })),
                ref.evaluate(end).map((a) => ({ ...a, at: end * MINUTE })),
                `${label}: alert transitions`,
              );
            }
          } finally {
            await h.close();
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
