// Limits: number of rules, actions per rule (routes.test.ts), payload size, per-action rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { until } from '../test-support/until.js';
import { startRulesHarness, system } from './test-harness.js';

test('max rules, payload size and per-action rate are enforced and counted', async () => {
  const h = await startRulesHarness({ limits: { maxRules: 2, maxPayloadBytes: 64 } });
  const c = await mqtt.connectAsync(h.mqttUrl, { clientId: 'dev-1', reconnectPeriod: 0 });
  const w = await mqtt.connectAsync(h.mqttUrl, { clientId: 'w', reconnectPeriod: 0 });
  const got: string[] = [];
  w.on('message', (t) => got.push(t));
  await w.subscribeAsync('out/#', { qos: 1 });
  try {
    await h.rules.service.create(
      {
        name: 'limited',
        sql: "SELECT * FROM 'in/+'",
        actions: [{ type: 'republish', topic: 'out/${topic(2)}', qos: 1, ratePerSecond: 1 }],
      },
      system,
    );
    await h.rules.service.create({ name: 'second', sql: "SELECT * FROM 'x'" }, system);
    await assert.rejects(
      h.rules.service.create({ name: 'third', sql: "SELECT * FROM 'x'" }, system),
      /at most 2 rules/,
    );
    for (let i = 0; i < 3; i++) await c.publishAsync('in/a', JSON.stringify({ i }), { qos: 1 });
    await c.publishAsync('in/a', JSON.stringify({ big: 'x'.repeat(100) }), { qos: 1 });
    await until('the first delivery', () => got.length === 1);
    await h.rules.idle();
    const m = (await h.rules.service.get('limited')).metrics;
    assert.equal(m.evaluated, 3);
    assert.equal(m.skipped, 1);
    // One token per second: the first message passes, the next two (same second) are dropped.
    assert.ok(m.rateLimited >= 1 && m.rateLimited <= 2, `rateLimited ${m.rateLimited}`);
    assert.equal(got.length + m.rateLimited, 3);
  } finally {
    await c.endAsync();
    await w.endAsync();
    await h.close();
  }
});
