// A failed schedule execution becomes a notification item; routine outcomes do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TsunaguEvents } from '../core/events.js';
import { toItem } from './event-items.js';

const ev = (status: TsunaguEvents['schedule.execution']['status']): TsunaguEvents['schedule.execution'] => ({
  scheduleId: 's1',
  scheduleName: 'boilers',
  executionId: 'e1',
  deviceId: 'b1',
  model: 'boiler',
  status,
  slotAt: 1000,
  attempts: 5,
  reason: 'setpoint: reported 50, desired 55',
  at: 2000,
});

test('schedule.execution: failed is an error item, the rest are not routed', () => {
  const item = toItem('schedule.execution', ev('failed'));
  assert.equal(item?.severity, 'error');
  assert.equal(item?.reason, 'schedule_failed:s1');
  assert.equal(item?.model, 'boiler');
  assert.match(item?.title ?? '', /setpoint: reported 50, desired 55/);
  for (const s of ['verified', 'superseded', 'overridden'] as const)
    assert.equal(toItem('schedule.execution', ev(s)), undefined);
});
