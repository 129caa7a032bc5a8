import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTracingAb } from './tracing-broker-ab.js';

// Tiny counts: the harness's plumbing (one platform, the ratio switched between rounds, worker
// clients, /proc readings, the summary), never the figures.
test('bench tracing --broker: one process, each setting a round, spans exported only when sampling', async () => {
  const lines: string[] = [];
  const result = await runTracingAb({
    ratios: [0, 1],
    rounds: 2,
    workloads: ['qos0'],
    qos0Messages: 500,
    qos1Messages: 100,
    out: (l) => lines.push(l),
  });
  for (const s of ['off', 0, 1] as const) {
    const readings = result.qos0.get(s)!;
    assert.equal(readings.length, 2, `two rounds of ${String(s)}`);
    // CPU comes in 10 ms ticks: a tiny round may read 0, never less, never NaN.
    for (const r of readings) assert.ok(r.all >= 0 && r.main >= 0, JSON.stringify(r));
  }
  assert.ok(lines.some((l) => l.startsWith('round 2, qos0, ratio 1: ')));
  const summary = lines.find((l) => l.startsWith('qos0, ratio 1: median'));
  assert.match(
    summary ?? '',
    /per-round vs off ([+−][0-9.]+%|n\/a) \(main thread ([+−][0-9.]+%|n\/a)\), vs ratio 0 /,
  );
  // Every message of the ratio-1 rounds (and its warm-up) is a span; none of the others.
  const requests = Number(/^(\d+) OTLP requests$/.exec(lines.at(-1) ?? '')?.[1]);
  assert.ok(requests >= 1, lines.at(-1));
});

test('bench tracing --broker at ratio 0 only: nothing is exported', async () => {
  const lines: string[] = [];
  await runTracingAb({
    ratios: [0],
    rounds: 1,
    workloads: ['qos0'],
    qos0Messages: 300,
    qos1Messages: 100,
    out: (l) => lines.push(l),
  });
  assert.equal(lines.at(-1), '0 OTLP requests');
});
