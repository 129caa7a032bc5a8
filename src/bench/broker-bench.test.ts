import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { runBrokerBench, type BrokerBenchResults } from './broker-bench.js';
import { MOSQUITTO_BIN } from './brokers.js';
import { formatTable, type WorkloadId } from './report.js';

// Tiny counts: the point is the harness's plumbing (brokers, workers, /proc readings, the table),
// never the figures; nothing here asserts a duration or a rate.
const TINY = {
  qos0Messages: 400,
  fanInPublishers: 4,
  qos1Messages: 200,
  qos1Window: 16,
  persistentMessages: 100,
  fanOutSubscribers: 5,
  fanOutMessages: 20,
  latencyRates: [200, 1000, 2000],
  latencySeconds: 0.1,
  idleConnections: [20, 50],
  idleTimeoutMs: 10_000,
  timeoutMs: 10_000,
  warmupMessages: 0,
  settleMs: 200,
};

/** What each workload must have sent with the TINY sizes. */
const SENT: Partial<Record<WorkloadId, number>> = {
  'qos0-one-to-one': TINY.qos0Messages,
  'qos0-fan-in': TINY.qos0Messages,
  'qos1-one-to-one': TINY.qos1Messages,
  'fan-out': TINY.fanOutMessages,
  'latency-1k': 20,
  'persistent-qos2': TINY.persistentMessages,
};

// Every worker process costs a second or two of start-up under tsx on a busy host, so the two
// tests split the workloads between them (each kind of flow once) instead of running all of them.
const MQTTJS_WORKLOADS: WorkloadId[] = ['idle-connections', 'qos0-fan-in', 'fan-out', 'persistent-qos2'];
const RAW_WORKLOADS: WorkloadId[] = ['qos0-one-to-one', 'qos1-one-to-one', 'latency-1k'];

function checkResults(r: BrokerBenchResults, ids: WorkloadId[]): void {
  assert.deepEqual(r.brokerErrors, {});
  assert.deepEqual(
    r.brokers.map((b) => b.name),
    ['mosquitto'],
  );
  assert.deepEqual(
    r.workloads.map((w) => w.id),
    ids,
  );
  for (const w of r.workloads) {
    assert.deepEqual(w.errors, {}, `${w.id} failed`);
    const res = w.results.mosquitto;
    assert.ok(res, `${w.id} has a Mosquitto result`);
    if ('bytesPerConnection' in res) {
      assert.equal(res.connections, 50);
      assert.equal(res.timedOut, false);
      assert.deepEqual(
        res.readings.map((m) => m.connections),
        TINY.idleConnections,
      );
      assert.ok(res.rssBeforeBytes > 0 && res.readings.every((m) => m.rssBytes > 0));
      assert.ok(Number.isFinite(res.bytesPerConnection));
      // Mosquitto has no V8 heap to read.
      assert.equal(res.heapBytesPerConnection, undefined);
      continue;
    }
    assert.equal(res.timedOut, false, `${w.id} timed out`);
    assert.equal(res.sent, SENT[w.id], `${w.id} sent`);
    assert.equal(res.delivered, res.expected, `${w.id}: delivered = expected`);
    assert.ok(res.brokerCpuSeconds >= 0);
    if (w.id === 'fan-out') assert.equal(res.expected, TINY.fanOutMessages * TINY.fanOutSubscribers);
    else assert.equal(res.expected, res.sent);
    if (w.id.startsWith('latency-')) {
      assert.equal(res.latency?.count, res.delivered);
      assert.ok(res.latency.p50 > 0 && res.latency.p50 <= res.latency.p99);
    }
  }
  // Mosquitto only: no ratios and no verdicts (Tsunagu did not run).
  assert.ok(r.figures.length > 0);
  for (const f of r.figures) {
    assert.equal(f.verdict, 'n/a');
    assert.equal(f.ratioToMosquitto, undefined);
    assert.equal(f.values.tsunagu, undefined);
  }
  const table = formatTable(r.figures, ['mosquitto']);
  assert.match(table, /\| figure .*\| mosquitto \|/);
  assert.equal(table.split('\n').length, r.figures.length + 2);
}

describe(
  'broker benchmark harness against Mosquitto',
  { skip: !existsSync(MOSQUITTO_BIN) && `${MOSQUITTO_BIN} is not installed` },
  () => {
    test('mqtt.js clients: idle connections, fan-in and fan-out; every message arrives', async () => {
      const lines: string[] = [];
      const r = await runBrokerBench({
        brokers: ['mosquitto'],
        quick: true,
        scale: TINY,
        workloads: MQTTJS_WORKLOADS,
        log: (l) => lines.push(l),
      });
      checkResults(r, MQTTJS_WORKLOADS);
      assert.ok(lines.some((l) => l.startsWith('started mosquitto')));
    });

    test('raw clients: QoS 0, QoS 1 and latency; every message arrives and is timed', async () => {
      const r = await runBrokerBench({
        brokers: ['mosquitto'],
        quick: true,
        scale: { ...TINY, client: 'raw' },
        workloads: RAW_WORKLOADS,
        log: () => undefined,
      });
      checkResults(r, RAW_WORKLOADS);
    });

    test('--fresh-brokers: the brokers are started anew for every round', async () => {
      const lines: string[] = [];
      const r = await runBrokerBench({
        brokers: ['mosquitto'],
        quick: true,
        scale: { ...TINY, client: 'raw' },
        workloads: ['qos0-one-to-one'],
        rounds: 2,
        freshBrokers: true,
        log: (l) => lines.push(l),
      });
      const pids = lines
        .filter((l) => l.startsWith('started mosquitto'))
        .map((l) => /pid (\d+)/.exec(l)?.[1]);
      assert.equal(pids.length, 2, lines.join('\n'));
      assert.notEqual(pids[0], pids[1]);
      assert.equal(r.workloads.length, 2);
      assert.deepEqual(
        r.brokers.map((b) => b.name),
        ['mosquitto'],
      );
      for (const w of r.workloads) assert.ok(w.results.mosquitto, `round of ${w.id} measured`);
    });
  },
);
