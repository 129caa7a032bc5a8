/** Tiny load, spike and soak runs against a private Mosquitto: they finish and write valid results. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runLoadtestCli } from './cli.js';
import { compareResults, readResult } from './compare.js';
import { runLoadtest, slope } from './loadtest.js';
import { MOSQUITTO, startMosquitto, type TestMosquitto } from './test-mosquitto.js';

describe('loadtest (Mosquitto)', { skip: !MOSQUITTO && 'mosquitto is not installed' }, () => {
  let broker: TestMosquitto;
  let dir: string;
  before(async () => {
    broker = await startMosquitto();
    dir = mkdtempSync(join(tmpdir(), 'sim-loadtest-'));
  });
  after(async () => {
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('load: ramps until --max-devices when the SLO holds, and the CLI writes a valid JSON result', async () => {
    const out = join(dir, 'load.json');
    const write = process.stdout.write;
    let printed = '';
    process.stdout.write = (s: string) => ((printed += s), true);
    try {
      await runLoadtestCli([
        '--url',
        broker.url,
        '--mode',
        'load',
        '--slo',
        'p99 command latency < 5s',
        '--start',
        '4',
        '--factor',
        '2',
        '--max-devices',
        '8',
        '--step',
        '0.6',
        '--rate',
        '20',
        '--out',
        out,
      ]);
    } finally {
      process.stdout.write = write;
    }
    const r = readResult(out);
    assert.equal(r.mode, 'load');
    assert.equal(r.latencyMetric, 'publish');
    assert.ok(
      r.notes.some((n) => n.includes('publish→PUBACK')),
      'says that publish latency replaced command latency',
    );
    assert.deepEqual(
      r.steps.map((s) => s.devices),
      [4, 8],
    );
    assert.equal(r.lastGood?.devices, 8);
    for (const s of r.steps) {
      assert.equal(s.online, s.devices);
      assert.ok(s.publish.count > 0 && s.msgPerSec > 0, JSON.stringify(s));
      assert.ok(s.publish.p50 <= s.publish.p99);
      assert.equal(s.errorRate, 0);
    }
    assert.ok(r.metrics['p99 publish latency at 8 devices']);
    assert.match(printed, /last good step: 8 devices/);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), r);
    assert.equal(compareResults(r, r).degraded, false);
  });

  test('load: stops at the first step that breaks the SLO', async () => {
    const r = await runLoadtest({
      url: broker.url,
      profile: 'boiler',
      mode: 'load',
      slo: 'p50 publish latency < 0.001ms',
      startDevices: 3,
      maxDevices: 100,
      stepS: 0.4,
      ratePerDevice: 20,
    });
    assert.equal(r.steps.length, 1);
    assert.deepEqual(r.steps[0]!.broken, ['p50 publish latency < 0.001ms']);
    assert.equal(r.lastGood, null);
  });

  test('spike: every device connects and the time to all connected is reported', async () => {
    const r = await runLoadtest({
      url: broker.url,
      profile: 'scooter',
      mode: 'spike',
      devices: 50,
      withinS: 0.5,
      slo: 'p99 connect < 60s and p50 connect < 0.0001ms',
    });
    assert.deepEqual(
      r.spike?.broken,
      ['p50 connect < 0.0001ms'],
      'connect objectives are judged on the spike',
    );
    assert.equal(r.spike?.connected, 50);
    assert.equal(r.spike?.connects, 50);
    assert.equal(r.spike?.connectFailures, 0);
    assert.ok(r.spike.timeToAllConnectedMs !== null && r.spike.timeToAllConnectedMs >= 0);
    assert.equal(r.spike.connect.count, 50);
    assert.ok(r.metrics['connect p99']);
  });

  test('soak: windows with memory and drift', async () => {
    const r = await runLoadtest({
      url: broker.url,
      profile: 'scooter',
      mode: 'soak',
      devices: 5,
      durationS: 1,
      windows: 2,
      ratePerDevice: 20,
    });
    assert.equal(r.steps.length, 2);
    assert.ok(r.steps.every((s) => s.clientRssBytes > 0 && s.publish.count > 0));
    assert.equal(typeof r.soak?.p99Change, 'number');
    assert.equal(typeof r.soak?.clientRssSlopeBytesPerMin, 'number');
  });
});

test('least-squares slope', () => {
  assert.equal(slope([0, 1, 2], [1, 3, 5]), 2);
  assert.equal(slope([1], [1]), 0);
});
