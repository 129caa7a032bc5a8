import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SloDefinition } from './api-types';
import { definitionToForm, EMPTY_FORM, formatExhaustion, formToDefinition } from './slo-form';

test('formToDefinition builds a rolling-window definition with a selector', () => {
  const r = formToDefinition({
    ...EMPTY_FORM,
    name: 'unlock-fast',
    sliType: 'command-latency',
    command: 'unlock',
    thresholdMs: '1500',
    model: 'scooter',
    targetPercent: '99.9',
    windowDays: '7',
  });
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.deepEqual(r.body, {
    name: 'unlock-fast',
    sli: {
      type: 'command-latency',
      command: 'unlock',
      thresholdMs: 1500,
      latency: 'reply',
      selector: { model: 'scooter' },
    },
    target: 0.999,
    window: { rolling: '7d' },
  });
});

test('formToDefinition names the bad field', () => {
  assert.deepEqual(
    (formToDefinition({ ...EMPTY_FORM, name: 'Bad Name' }) as { field: string }).field,
    'name',
  );
  assert.equal(
    (formToDefinition({ ...EMPTY_FORM, name: 'a', targetPercent: '100' }) as { field: string }).field,
    'target',
  );
  assert.equal(
    (formToDefinition({ ...EMPTY_FORM, name: 'a', windowDays: '1.5' }) as { field: string }).field,
    'window',
  );
});

test('definitionToForm round-trips through formToDefinition, keeping alerting', () => {
  const def: SloDefinition = {
    name: 'avail',
    displayName: 'Availability',
    sli: { type: 'availability', selector: { tag: 'berlin' } },
    target: 0.995,
    window: { rolling: '4w' },
    budgeting: { method: 'occurrences' },
    alerting: { minEvents: 20, tiers: [] },
  };
  const form = definitionToForm(def);
  assert.ok(form);
  const back = formToDefinition(form, def);
  assert.equal(back.ok, true);
  if (back.ok) assert.deepEqual(back.body, { ...def, window: { rolling: '28d' } });
  assert.equal(definitionToForm({ ...def, window: { calendar: 'month', timeZone: 'UTC' } }), undefined);
  assert.equal(definitionToForm({ ...def, window: { rolling: '36h' } }), undefined);
});

test('formatExhaustion', () => {
  assert.equal(formatExhaustion(null), 'not burning');
  assert.equal(formatExhaustion(0), 'exhausted');
  assert.equal(formatExhaustion(25 * 60_000), 'in 25m');
  assert.equal(formatExhaustion(200 * 60_000), 'in 3h 20m');
  assert.equal(formatExhaustion(5 * 86_400_000), 'in 5d');
});
