// Loop protection with real MQTT clients: a rule re-triggered by its own republish, a cycle through
// two rules, a chain deeper than maxHops, an error action publishing where its rule listens, and a
// client that claims a rule path (not believed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { until } from '../test-support/until.js';
import { startRulesHarness, system, type RulesHarness } from './test-harness.js';

async function client(url: string, id: string): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId: id, protocolVersion: 5, reconnectPeriod: 0 });
  await new Promise<void>((res, rej) => {
    c.once('connect', () => res());
    c.once('error', rej);
  });
  return c;
}

describe('rules: loop protection', () => {
  let h: RulesHarness;
  let sub: MqttClient;
  let pub: MqttClient;
  const got: { topic: string; body: string; path: unknown }[] = [];
  const on = (topic: string) => got.filter((g) => g.topic === topic);

  before(async () => {
    h = await startRulesHarness({ limits: { maxHops: 3 } });
    sub = await client(h.mqttUrl, 'watcher');
    pub = await client(h.mqttUrl, 'dev-1');
    sub.on('message', (topic, payload, packet) =>
      got.push({
        topic,
        body: payload.toString(),
        path: packet.properties?.userProperties?.['tsunagu-rules'],
      }),
    );
    await sub.subscribeAsync('#', { qos: 1 });
  });
  after(async () => {
    sub.end(true);
    pub.end(true);
    await h.close();
  });

  const create = (def: Record<string, unknown>) => h.rules.service.create(def, system);

  test('a rule re-triggered by its own republish runs once; the loop is counted and goes to the error action', async () => {
    await create({
      name: 'echo',
      sql: "SELECT * FROM 'loop/+'",
      actions: [{ type: 'republish', topic: 'loop/again', qos: 1 }],
      errorAction: { type: 'republish', topic: 'errors/echo' },
    });
    await pub.publishAsync('loop/start', '{"n":1}', { qos: 1 });
    await until('the loop error', () => on('errors/echo').length === 1);
    await h.rules.idle();
    assert.equal(on('loop/again').length, 1, 'the republish ran once');
    assert.equal(on('loop/again')[0]!.path, 'echo');
    const e = JSON.parse(on('errors/echo')[0]!.body) as {
      ruleName: string;
      topic: string;
      failures: { failedAction: string; failedResource: string; errorMessage: string }[];
    };
    assert.equal(e.ruleName, 'echo');
    assert.equal(e.topic, 'loop/again');
    assert.equal(e.failures[0]!.failedAction, 'LoopProtection');
    assert.equal(e.failures[0]!.failedResource, 'echo → echo');
    assert.match(e.failures[0]!.errorMessage, /its own republish/);
    const v = await h.rules.service.get('echo');
    assert.equal(v.metrics.loops, 1);
    const text = await h.metrics.metrics();
    assert.match(text, /tsunagu_rules_messages_total\{rule="echo",result="loop"\} 1/);
  });

  test('a cycle through two rules stops where it comes back', async () => {
    await create({
      name: 'ping',
      sql: "SELECT * FROM 'ping/+'",
      actions: [{ type: 'republish', topic: 'pong/x' }],
    });
    await create({
      name: 'pong',
      sql: "SELECT * FROM 'pong/+'",
      actions: [{ type: 'republish', topic: 'ping/x' }],
    });
    await pub.publishAsync('ping/start', '{}', { qos: 1 });
    await until('the loop counted', async () => (await h.rules.service.get('ping')).metrics.loops === 1);
    await h.rules.idle();
    assert.equal(on('pong/x').length, 1);
    assert.equal(on('ping/x').length, 1);
    assert.equal(on('ping/x')[0]!.path, 'ping,pong');
    assert.equal((await h.rules.service.get('pong')).metrics.loops, 0);
  });

  test('a chain deeper than maxHops stops at the limit', async () => {
    for (let i = 0; i < 5; i++)
      await create({
        name: `c${i}`,
        sql: `SELECT * FROM 'chain/${i}'`,
        actions: [{ type: 'republish', topic: `chain/${i + 1}` }],
      });
    await pub.publishAsync('chain/0', '{}', { qos: 1 });
    await until('the chain stopped', async () => (await h.rules.service.get('c3')).metrics.loops === 1);
    await h.rules.idle();
    assert.deepEqual(
      ['chain/1', 'chain/2', 'chain/3', 'chain/4'].map((t) => on(t).length),
      [1, 1, 1, 0],
    );
  });

  test('an error action publishing where its rule listens gives one error message per loop, not a storm', async () => {
    await create({
      name: 'selfish',
      sql: "SELECT * FROM 'self/+'",
      actions: [{ type: 'republish', topic: 'self/out' }],
      errorAction: { type: 'republish', topic: 'self/err' },
    });
    await pub.publishAsync('self/in', '{}', { qos: 1 });
    await until('the loop error', () => on('self/err').length >= 1);
    await h.rules.idle();
    await new Promise((r) => setTimeout(r, 200));
    await h.rules.idle();
    assert.equal(on('self/out').length, 1);
    assert.equal(on('self/err').length, 1);
    assert.equal((await h.rules.service.get('selfish')).metrics.loops, 2);
  });

  test("a client's claimed rule path is not believed", async () => {
    await create({
      name: 'plain',
      sql: "SELECT * FROM 'claim/+'",
      actions: [{ type: 'republish', topic: 'claimed/out' }],
    });
    await pub.publishAsync('claim/x', '{}', {
      qos: 1,
      properties: { userProperties: { 'tsunagu-rules': 'plain,a,b,c,d,e' } },
    });
    await until('the republish', () => on('claimed/out').length === 1);
    assert.equal(on('claimed/out')[0]!.path, 'plain');
    assert.equal((await h.rules.service.get('plain')).metrics.loops, 0);
  });
});
