import assert from 'node:assert/strict';
import { test } from 'node:test';
import { figuresOf, formatAnomalies, pairedCpuRatios, type WorkloadRecord } from './report.js';
import type { FlowResult, IdleResult } from './workloads.js';

const flow = (rate: number, cpuUsPerMsg: number, over: Partial<FlowResult> = {}): FlowResult => ({
  sent: 100_000,
  expected: 100_000,
  delivered: 100_000,
  seconds: 100_000 / rate,
  rate,
  brokerCpuSeconds: (cpuUsPerMsg * 100_000) / 1e6,
  cpuUsPerMsg,
  timedOut: false,
  endedBy: 'complete',
  ...over,
});

test('figures carry ratios to Mosquitto and Aedes and judge the goals', () => {
  const rec: WorkloadRecord = {
    id: 'qos0-one-to-one',
    title: 'QoS 0 1→1',
    results: { tsunagu: flow(30_000, 4), mosquitto: flow(20_000, 5), aedes: flow(10_000, 12) },
    errors: {},
  };
  const [rate, cpu] = figuresOf([rec]);
  assert.equal(rate?.ratioToMosquitto, 1.5);
  assert.equal(rate?.ratioToAedes, 3);
  assert.equal(rate?.verdict, 'met');
  assert.equal(cpu?.ratioToMosquitto, 0.8);
  assert.equal(cpu?.verdict, 'met');

  rec.results.aedes = flow(20_000, 6);
  const [rate2, cpu2] = figuresOf([rec]);
  assert.equal(rate2?.verdict, 'missed', 'below 2× Aedes');
  assert.equal(cpu2?.verdict, 'missed', 'more than half of Aedes CPU');
});

test('idle memory goal is 5 KB per connection; p99 at 10k msg/s must be under 1 ms', () => {
  const idle = (b: number, heap?: number): IdleResult => ({
    requested: 20,
    connections: 20,
    rssBeforeBytes: 0,
    readings: [
      { connections: 10, rssBytes: b * 10 },
      { connections: 20, rssBytes: b * 20 },
    ],
    bytesPerConnection: b,
    ...(heap === undefined ? {} : { heapBytesPerConnection: heap }),
    averageBytesPerConnection: b,
    timedOut: false,
  });
  const lat = (p99: number): FlowResult =>
    flow(10_000, 1, { latency: { count: 100, p50: p99 / 2, p99, p999: p99, max: p99 } });
  const figs = figuresOf([
    {
      id: 'idle-connections',
      title: 'idle',
      results: { tsunagu: idle(6000, 1800), baseline: idle(7000, 2400), aedes: idle(20_000) },
      errors: {},
    },
    { id: 'latency-10k', title: 'latency', results: { tsunagu: lat(0.8) }, errors: {} },
  ]);
  assert.equal(figs.find((f) => f.id === 'idle-connections.bytes')?.verdict, 'missed');
  const heap = figs.find((f) => f.id === 'idle-connections.heap');
  assert.deepEqual(heap?.values, { tsunagu: 1800, baseline: 2400 });
  assert.equal(heap?.ratioToBaseline, 0.75);
  assert.equal(heap?.verdict, 'n/a', 'no goal on the heap figure');
  assert.equal(figs.find((f) => f.id === 'latency-10k.p99')?.verdict, 'met');
  assert.equal(figs.find((f) => f.id === 'latency-10k.p50')?.verdict, 'n/a');
});

test('anomalies list losses, time-outs and failures', () => {
  const lines = formatAnomalies([
    {
      id: 'fan-out',
      title: 'fan-out',
      results: { mosquitto: flow(1, 1, { delivered: 90, timedOut: true }) },
      errors: { aedes: 'boom' },
    },
  ]);
  assert.deepEqual(lines, [
    'fan-out / aedes: failed: boom',
    'fan-out / mosquitto: hit the time limit',
    'fan-out / mosquitto: delivered 90 of 100000 expected (sent 100000)',
  ]);
});

test('relative goals are not judged without a peer', () => {
  const [rate] = figuresOf([
    { id: 'qos0-one-to-one', title: 'QoS 0', results: { tsunagu: flow(1, 1) }, errors: {} },
  ]);
  assert.equal(rate?.verdict, 'n/a');
  assert.equal(rate?.ratioToAedes, undefined);
});

test('CPU figures below five clock ticks are left out as imprecise', () => {
  const [, cpu] = figuresOf([
    {
      id: 'fan-out',
      title: 'fan-out',
      results: { tsunagu: flow(1000, 1), mosquitto: flow(1000, 1, { brokerCpuSeconds: 0.01 }) },
      errors: {},
    },
  ]);
  assert.equal(cpu?.values.tsunagu, 1);
  assert.equal(cpu?.values.mosquitto, undefined);
});

test('paired CPU ratios: the median over rounds of each round’s ratio, against tsunagu and traced@0', () => {
  // Rounds that swing together with the host's load, and one odd round: the columns' medians put
  // traced@0.01 at −11% (2.31 against 2.6 µs), the rounds' own ratios at +10%.
  const round = (off: number, zero: number, one: number): WorkloadRecord => ({
    id: 'qos0-one-to-one',
    title: 'QoS 0 1→1',
    results: { tsunagu: flow(1, off), 'traced@0': flow(1, zero), 'traced@0.01': flow(1, one) },
    errors: {},
  });
  const lines = pairedCpuRatios(
    [round(2, 2, 2.2), round(3, 3, 3.3), round(2.2, 2.2, 2.42), round(4, 4, 2)],
    ['tsunagu', 'traced@0', 'traced@0.01'],
  );
  assert.deepEqual(lines, [
    'qos0-one-to-one: traced@0 / tsunagu CPU per message, median of 4 rounds +0.0% (min +0.0%, max +0.0%)',
    'qos0-one-to-one: traced@0.01 / tsunagu CPU per message, median of 4 rounds +10.0% (min −50.0%, max +10.0%)',
    'qos0-one-to-one: traced@0.01 / traced@0 CPU per message, median of 4 rounds +10.0% (min −50.0%, max +10.0%)',
  ]);
  assert.deepEqual(
    pairedCpuRatios([round(2, 2, 2.2)], ['tsunagu', 'traced@0', 'traced@0.01']),
    [],
    'one round: none',
  );
});
