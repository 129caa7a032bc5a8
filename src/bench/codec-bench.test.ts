import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCodecReport, runCodecBench } from './codec-bench.js';

test('codec benchmark measures every case and prints one row per case', () => {
  const r = runCodecBench({ ms: 20, rounds: 1 });
  assert.equal(r.packetBytes, 2 + 2 + 'bench/codec/device-0001'.length + 16);
  assert.deepEqual(
    r.cases.map((c) => c.rounds.length),
    [1, 1, 1, 1],
  );
  for (const c of r.cases) assert.ok(Number.isFinite(c.rate) && c.rate > 0, c.name);
  const text = formatCodecReport(r);
  for (const c of r.cases) assert.ok(text.includes(c.name));
});
