/**
 * A small simulated fleet over real sockets against a private Mosquitto (no Tsunagu code on the
 * server side), observed by an mqtt.js client that plays the platform.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { loadProfile, type Profile } from './profile.js';
import { startSimulation, type Simulation } from './simulation.js';
import { MOSQUITTO, startMosquitto, type TestMosquitto } from './test-mosquitto.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Seen {
  topic: string;
  text: string;
}

class Observer {
  messages: Seen[] = [];
  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => this.messages.push({ topic, text: payload.toString() }));
  }
  static async connect(url: string): Promise<Observer> {
    const client = await mqtt.connectAsync(url, { clientId: `platform-${process.pid}`, reconnectPeriod: 0 });
    const o = new Observer(client);
    await client.subscribeAsync(['devices/#', '$aws/things/+/shadow/update'], { qos: 1 });
    return o;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are checked field by field
  json(pred: (topic: string) => boolean): { topic: string; body: any }[] {
    return this.messages
      .filter((m) => pred(m.topic))
      .flatMap((m) => {
        try {
          return [{ topic: m.topic, body: JSON.parse(m.text) }];
        } catch {
          return [];
        }
      });
  }
}

const skip = !MOSQUITTO && 'mosquitto is not installed';

describe('simulated fleet over MQTT (Mosquitto)', { skip }, () => {
  let broker: TestMosquitto;
  let obs: Observer;
  const sims: Simulation[] = [];

  before(async () => {
    broker = await startMosquitto();
    obs = await Observer.connect(broker.url);
  });
  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await obs?.client.endAsync();
    await broker?.close();
  });

  const scooter = (tweak: (p: Profile) => void = () => {}): Profile => {
    const p = structuredClone(loadProfile('scooter'));
    p.commands.failureRate = 0;
    p.events.ratePerHour = 0;
    tweak(p);
    return p;
  };

  test('20 scooters: heartbeats, telemetry, shadow, command replies and desired state', async () => {
    const sim = await startSimulation({
      url: broker.url,
      devices: 20,
      profile: scooter((p) => (p.scooter!.tripsPerHour = 60)),
      durationS: 60,
      speed: 200, // heartbeat every 150 ms, parked telemetry every 1.5 s
      idPrefix: 'fleet',
      commandLatency: { dist: 'fixed', ms: 2000 },
    });
    sims.push(sim);
    await sim.waitOnline(20, 10_000);
    assert.equal(sim.deviceIds.length, 20);
    await until('a heartbeat from every device', () => {
      const ids = new Set(obs.json((t) => t.endsWith('/heartbeat')).map((m) => m.topic.split('/')[1]));
      return sim.deviceIds.every((id) => ids.has(id));
    });
    for (const hb of obs.json((t) => t.endsWith('/heartbeat')))
      assert.deepEqual(Object.keys(hb.body), ['ts']);
    await until(
      'telemetry from every device',
      () => new Set(obs.json((t) => t.endsWith('/telemetry')).map((m) => m.topic)).size === 20,
    );
    for (const t of obs.json((t) => t.startsWith('devices/fleet') && t.endsWith('/telemetry')))
      for (const k of ['ts', 'lat', 'lon', 'speed', 'battery'])
        assert.equal(typeof t.body[k], 'number', `${k} in ${JSON.stringify(t.body)}`);
    const shadows = obs.json((t) => t.startsWith('$aws/things/fleet'));
    assert.ok(shadows.length >= 20);
    assert.ok(shadows.every((s) => ['locked', 'unlocked'].includes(s.body.state.reported.lock ?? 'locked')));

    // The platform sends commands as JSON {id, name, params, requestedAt}.
    const targets = sim.deviceIds.slice(0, 3);
    for (const [i, id] of targets.entries())
      await obs.client.publishAsync(
        `devices/${id}/commands/unlock`,
        JSON.stringify({ id: `cmd-${i}`, name: 'unlock', params: {}, requestedAt: Date.now() }),
        { qos: 1 },
      );
    await until('three replies', () => obs.json((t) => t.endsWith('/commands/unlock/reply')).length === 3);
    for (const [i, id] of targets.entries()) {
      const reply = obs.json((t) => t === `devices/${id}/commands/unlock/reply`);
      assert.deepEqual(
        reply.map((r) => r.body),
        [{ id: `cmd-${i}`, status: 'ok' }],
      );
      const reported = obs
        .json((t) => t === `$aws/things/${id}/shadow/update`)
        .map((s) => s.body.state.reported.lock);
      assert.ok(reported.includes('unlocked'), `${id} reported ${reported.join(',')}`);
    }

    // Desired state through the AWS delta topic.
    const id = targets[0]!;
    await obs.client.publishAsync(
      `$aws/things/${id}/shadow/update/delta`,
      JSON.stringify({ version: 2, state: { lock: 'locked' } }),
      { qos: 1 },
    );
    await until('the desired lock state reported', () => {
      const r = obs.json((t) => t === `$aws/things/${id}/shadow/update`);
      return r[r.length - 1]?.body.state.reported.lock === 'locked';
    });
    assert.ok(sim.counters.deltasApplied >= 1);
    assert.equal(sim.counters.publishFailures, 0);
    assert.ok(sim.latency.publishAck.peek().count > 0);
    await sim.stop();
    assert.equal(sim.state, 'stopped');
    assert.equal(sim.counters.online, 0);
  });

  test('faults over the wire: drops reconnect, dead batteries go silent, bursts and malformed payloads arrive', async () => {
    const sim = await startSimulation({
      url: broker.url,
      devices: 10,
      profile: scooter((p) => {
        p.scooter!.tripsPerHour = 36_000; // ride almost immediately
        p.scooter!.tripDurationS = [36_000, 36_000];
        p.faults.dropDownS = 20;
        p.faults.burstSize = 3;
      }),
      faults: { malformedShare: 0.5 },
      durationS: 60,
      speed: 200,
      idPrefix: 'faulty',
    });
    sims.push(sim);
    await sim.waitOnline(10, 10_000);
    await sleep(300);

    assert.equal(sim.injectFault('drop', 3), 3);
    assert.equal(sim.counters.online, 7);
    await sim.waitOnline(10, 5000);
    assert.equal(sim.counters.connects, 13);

    assert.equal(sim.injectFault('burst', 2), 2);
    await until(
      'burst events',
      () => obs.json((t) => t.startsWith('devices/faulty') && t.endsWith('/events')).length >= 6,
    );
    for (const e of obs.json((t) => t.startsWith('devices/faulty') && t.endsWith('/events')))
      assert.deepEqual(Object.keys(e.body).sort(), ['code', 'message', 'severity', 'ts']);

    await until('malformed telemetry', () =>
      obs.messages.some(
        (m) => m.topic.startsWith('devices/faulty') && m.topic.endsWith('/telemetry') && !isTelemetry(m.text),
      ),
    );

    const dead = sim.devices.find((d) => d.state === 'online' && d.inject('battery'));
    assert.ok(dead, 'a riding scooter took the battery failure');
    assert.equal(dead.state, 'dead');
    await sleep(100);
    const count = obs.messages.filter((m) => m.topic.startsWith(`devices/${dead.id}/`)).length;
    await sleep(600); // four heartbeat intervals
    assert.equal(
      obs.messages.filter((m) => m.topic.startsWith(`devices/${dead.id}/`)).length,
      count,
      'silent after the failure',
    );
    assert.equal(sim.counters.online, 9);
    await sim.stop();
  });

  test('the telegram share sends HELLO and CSV lines over raw TCP', async () => {
    const lines: string[] = [];
    const server: Server = createServer((s) => {
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        const parts = buf.split('\n');
        buf = parts.pop()!;
        lines.push(...parts);
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const sim = await startSimulation({
        url: broker.url,
        devices: 4,
        profile: scooter((p) => (p.telegram.share = 1)),
        telegram: `127.0.0.1:${port}`,
        durationS: 60,
        speed: 200,
        idPrefix: 'old',
      });
      sims.push(sim);
      await sim.waitOnline(4, 5000);
      await until('telegrams', () => lines.filter((l) => !l.startsWith('HELLO')).length >= 8);
      const hellos = lines.filter((l) => l.startsWith('HELLO')).sort();
      assert.deepEqual(hellos, [
        'HELLO old-00001 -',
        'HELLO old-00002 -',
        'HELLO old-00003 -',
        'HELLO old-00004 -',
      ]);
      for (const l of lines.filter((x) => !x.startsWith('HELLO'))) assert.equal(l.split(',').length, 26, l);
      assert.equal(
        obs.messages.filter((m) => m.topic.startsWith('devices/old-')).length,
        0,
        'telegram devices do not use MQTT',
      );
      await sim.stop();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

function isTelemetry(text: string): boolean {
  try {
    const v = JSON.parse(text) as { ts?: unknown; battery?: unknown };
    return typeof v.ts === 'number' && typeof v.battery === 'number';
  } catch {
    return false;
  }
}
