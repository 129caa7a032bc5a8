// The built-in "schedule applied" SLI: verified executions (within thresholdMs when given) over
// executions due (verified + failed + superseded; overridden ones are not counted), with selectors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TsunaguEvents } from '../core/events.js';
import { MINUTE } from './budget.js';
import { def, device, harness } from './testing.js';

const START = Date.UTC(2026, 0, 10);

const execution = (
  deviceId: string,
  status: TsunaguEvents['schedule.execution']['status'],
  latencyMs?: number,
): TsunaguEvents['schedule.execution'] => ({
  scheduleId: 's',
  scheduleName: 'boilers',
  executionId: `${deviceId}-${status}-${latencyMs ?? 0}`,
  deviceId,
  status,
  slotAt: START,
  attempts: 1,
  at: START + 10_000,
  ...(latencyMs !== undefined ? { latencyMs } : {}),
});

describe('schedule-applied SLI', () => {
  test('counts verified / due, with a latency threshold and a model selector', async (t) => {
    const h = await harness({
      start: START,
      devices: [device('b1', 'boiler'), device('b2', 'boiler'), device('a1', 'aircon')],
      defs: [
        def({ name: 'applied', sli: { type: 'schedule-applied' }, target: 0.99 }),
        def({ name: 'applied-5m', sli: { type: 'schedule-applied', thresholdMs: 300_000 }, target: 0.99 }),
        def({
          name: 'boilers',
          sli: { type: 'schedule-applied', selector: { model: 'boiler' } },
          target: 0.99,
        }),
      ],
    });
    t.after(() => h.close());
    h.bus.emit('schedule.execution', execution('b1', 'verified', 20_000));
    h.bus.emit('schedule.execution', execution('b2', 'verified', 600_000)); // late
    h.bus.emit('schedule.execution', execution('b2', 'failed'));
    h.bus.emit('schedule.execution', execution('a1', 'superseded'));
    h.bus.emit('schedule.execution', execution('a1', 'overridden')); // not counted
    h.clock.advance(MINUTE);
    const counts = (name: string) => {
      const s = h.engine.status(name);
      return [s.good, s.total];
    };
    assert.deepEqual(counts('applied'), [2, 4]);
    assert.deepEqual(counts('applied-5m'), [1, 4]);
    assert.deepEqual(counts('boilers'), [2, 3]);
  });

  test('thresholdMs is checked; other SLI fields are refused', () => {
    assert.throws(
      () => def({ name: 'x', sli: { type: 'schedule-applied', thresholdMs: 0 }, target: 0.9 }),
      /thresholdMs/,
    );
    assert.throws(
      () => def({ name: 'x', sli: { type: 'schedule-applied', command: 'a' }, target: 0.9 }),
      /command/,
    );
  });
});
