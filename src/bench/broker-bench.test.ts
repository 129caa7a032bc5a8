import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { runBrokerBench } from './broker-bench.js';
import { MOSQUITTO_BIN } from './brokers.js';
import { formatTable, WORKLOAD_IDS } from './report.js';

// Tiny counts: the point is the harness's plumbing (brokers, workers, /proc readings, the table),
// never the figures; nothing here asserts a duration or a rate.
const TINY = {
  qos0Messages: 400,
  fanInPublishers: 4,
  qos1Messages: 200,
  qos1Window: 16,
  fanOutSubscribers: 5,
  fanOutMessages: 20,
  latencyRates: [200, 1000, 2000],
  latencySeconds: 0.1,
  idleConnections: 50,
  timeoutMs: 10_000,
  warmupMessages: 0,
  settleMs: 200,
};

describe('broker benchmark harness', () => {
  test('quick run against Mosquitto: every workload reports, every message arrives', async (t) => {
    if (!existsSync(MOSQUITTO_BIN)) {
      t.skip(`${MOSQUITTO_BIN} is not installed`);
      return;
    }
    const lines: string[] = [];
    const r = await runBrokerBench({
      brokers: ['mosquitto'],
      quick: true,
      scale: TINY,
      // The other two latency rates run the same code as the first; left out to keep the test short.
      workloads: WORKLOAD_IDS.filter((id) => id !== 'latency-10k' && id !== 'latency-50k'),
      log: (l) => lines.push(l),
    });

    assert.deepEqual(r.brokerErrors, {});
    assert.deepEqual(
      r.brokers.map((b) => b.name),
      ['mosquitto'],
    );
    assert.deepEqual(
      r.workloads.map((w) => w.id),
      WORKLOAD_IDS.filter((id) => id !== 'latency-10k' && id !== 'latency-50k'),
    );
    for (const w of r.workloads) {
      assert.deepEqual(w.errors, {}, `${w.id} failed`);
      const res = w.results.mosquitto;
      assert.ok(res, `${w.id} has a Mosquitto result`);
      if ('bytesPerConnection' in res) {
        assert.equal(res.connections, TINY.idleConnections);
        assert.ok(res.rssAfterBytes > 0 && res.rssBeforeBytes > 0);
        continue;
      }
      assert.equal(res.timedOut, false, `${w.id} timed out`);
      assert.ok(res.sent > 0, `${w.id} sent messages`);
      assert.equal(res.delivered, res.expected, `${w.id}: delivered = expected`);
      assert.ok(res.brokerCpuSeconds >= 0);
      if (w.id.startsWith('latency-')) assert.equal(res.latency?.count, res.delivered);
    }
    const expectedSent: Record<string, number> = {
      'qos0-one-to-one': TINY.qos0Messages,
      'qos0-fan-in': TINY.qos0Messages,
      'qos1-one-to-one': TINY.qos1Messages,
      'fan-out': TINY.fanOutMessages,
      'latency-1k': 20,
    };
    for (const [id, sent] of Object.entries(expectedSent)) {
      const res = r.workloads.find((w) => w.id === id)?.results.mosquitto;
      assert.ok(res && 'sent' in res);
      assert.equal(res.sent, sent, `${id} sent`);
    }
    const fanOut = r.workloads.find((w) => w.id === 'fan-out')?.results.mosquitto;
    assert.ok(fanOut && 'expected' in fanOut);
    assert.equal(fanOut.expected, TINY.fanOutMessages * TINY.fanOutSubscribers);

    // Figures: Mosquitto only, so no ratios and no verdicts (Tsunagu did not run).
    assert.ok(r.figures.length > 0);
    for (const f of r.figures) {
      assert.equal(f.verdict, 'n/a');
      assert.equal(f.ratioToMosquitto, undefined);
      assert.equal(f.values.tsunagu, undefined);
    }
    const table = formatTable(r.figures, ['mosquitto']);
    assert.match(table, /\| figure .*\| mosquitto \|/);
    assert.equal(table.split('\n').length, r.figures.length + 2);
  });
});
