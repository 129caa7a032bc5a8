// The simulated boiler sometimes ignores a desired change (refuseRate), so schedule verification
// and re-sends show in the demo; with refuseRate 0 it always applies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Boiler } from './boiler.js';
import { loadProfile } from './profile.js';
import { createRng } from './rng.js';

test('boiler refuses a share of desired changes', () => {
  const p = loadProfile('boiler');
  assert.equal(p.boiler!.setpoints.refuseRate, 0.05);
  const settings = (refuseRate: number) => ({
    ...p.boiler!,
    setpoints: { ...p.boiler!.setpoints, refuseRate },
  });
  const delta = { flowTempSetpoint: 55 };
  assert.equal(new Boiler(settings(1), createRng(1)).desired(delta), undefined);
  const always = new Boiler(settings(0), createRng(1));
  for (let i = 0; i < 100; i++) assert.ok(always.desired(delta));
  const some = new Boiler(settings(0.3), createRng(7));
  const refused = Array.from({ length: 1000 }, () => some.desired(delta)).filter(
    (x) => x === undefined,
  ).length;
  assert.ok(refused > 200 && refused < 400, `refused ${refused} of 1000`);
});
