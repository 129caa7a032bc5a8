/**
 * One device's behaviour on a ManualClock with an in-memory link: what it publishes, when, and how
 * it answers commands, desired state and faults. The same device runs over real sockets in
 * simulation.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { Boiler } from './boiler.js';
import { SimDevice, type DeviceContext, type Link } from './device.js';
import { loadProfile, type Profile } from './profile.js';
import { createRng } from './rng.js';
import { Route, Scooter } from './scooter.js';
import { LatencyRecorder, newCounters } from './stats.js';
import { SimTime } from './time.js';

class MemoryLink implements Link {
  published: { topic: string; payload: string }[] = [];
  subscriptions: string[] = [];
  state: 'open' | 'ended' | 'dropped' = 'open';
  closed = Promise.resolve();
  onMessage: (topic: string, payload: Buffer) => void = () => {};
  onClose: (err: Error | undefined) => void = () => {};
  publish(topic: string, payload: string | Buffer): Promise<void> {
    this.published.push({ topic, payload: payload.toString() });
    return Promise.resolve();
  }
  subscribe(filters: string[]): Promise<void> {
    this.subscriptions.push(...filters);
    return Promise.resolve();
  }
  end(): void {
    this.state = 'ended';
  }
  drop(): void {
    this.state = 'dropped';
  }
  deliver(topic: string, body: unknown): void {
    this.onMessage(topic, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
  }
  on(suffix: string): unknown[] {
    return this.published
      .filter((p) => p.topic.endsWith(suffix))
      .map((p) => JSON.parse(p.payload) as unknown);
  }
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

async function rig(profile: Profile, tweak: (p: Profile) => void = () => {}) {
  const p = structuredClone(profile);
  tweak(p);
  const clock = new ManualClock();
  const time = new SimTime(clock, 1);
  const links: MemoryLink[] = [];
  const ctx: DeviceContext = {
    profile: p,
    faults: p.faults,
    commandLatency: p.commands.latency,
    time,
    counters: newCounters(),
    latency: { publishAck: new LatencyRecorder(), connect: new LatencyRecorder() },
    hrNow: () => clock.now(),
    openLink: () => {
      const l = new MemoryLink();
      links.push(l);
      return Promise.resolve(l);
    },
  };
  const rng = createRng(7);
  const behaviour =
    p.kind === 'scooter'
      ? Object.assign(new Scooter(p.scooter!, createRng(8), time.now()), {
          intervalMs: p.telemetry.intervalS * 1000,
          idleIntervalMs: p.telemetry.idleIntervalS * 1000,
        })
      : Object.assign(new Boiler(p.boiler!, createRng(8)), { intervalMs: p.telemetry.intervalS * 1000 });
  const device = new SimDevice('d1', { username: 'd1' }, ctx, behaviour, rng, false);
  const advance = async (ms: number, step = 1000): Promise<void> => {
    for (let t = 0; t < ms; t += step) {
      clock.advance(Math.min(step, ms - t));
      await flush();
    }
  };
  device.start(0);
  await advance(1);
  return { device, ctx, links, clock, advance, link: () => links[links.length - 1]! };
}

const scooter = loadProfile('scooter');
const boiler = loadProfile('boiler');
const quiet = (p: Profile): void => {
  p.events.ratePerHour = 0;
  p.faults = { ...p.faults, burstPerHour: 0, dropPerHour: 0 };
};

describe('simulated device', () => {
  test('connects, subscribes, reports its shadow and sends heartbeats and telemetry on schedule', async () => {
    const r = await rig(boiler, quiet);
    const l = r.link();
    assert.equal(r.device.state, 'online');
    assert.deepEqual(l.subscriptions.sort(), [
      '$aws/things/d1/jobs/+/update/accepted',
      '$aws/things/d1/jobs/+/update/rejected',
      '$aws/things/d1/jobs/notify-next',
      '$aws/things/d1/jobs/start-next/accepted',
      '$aws/things/d1/shadow/get/accepted',
      '$aws/things/d1/shadow/update/delta',
      'devices/d1/commands/+',
    ]);
    assert.deepEqual(l.on('shadow/update')[0], {
      state: { reported: { flowTempSetpoint: 65, mode: 'heat' } },
    });
    await r.advance(10 * 60_000);
    const hb = l.on('/heartbeat') as { ts: number }[];
    assert.ok(hb.length >= 9 && hb.length <= 11, `heartbeats: ${hb.length}`);
    assert.ok(hb.every((h) => typeof h.ts === 'number'));
    const tel = l.on('/telemetry') as Record<string, number>[];
    assert.ok(tel.length >= 9 && tel.length <= 11, `telemetry: ${tel.length}`);
    for (const t of tel) {
      assert.deepEqual(Object.keys(t).sort(), ['co2', 'flowTemp', 'humidity', 'returnTemp', 'ts']);
      assert.ok(t.flowTemp! > 55 && t.flowTemp! < 75, `flowTemp ${t.flowTemp}`);
    }
    assert.equal(r.ctx.counters.heartbeats, hb.length);
  });

  test('answers unlock after the profile latency and reports the lock state in its shadow', async () => {
    const r = await rig(scooter, (p) => {
      quiet(p);
      p.commands.latency = { dist: 'fixed', ms: 500 };
      p.commands.failureRate = 0;
    });
    const l = r.link();
    l.deliver('devices/d1/commands/unlock', { id: 'c1', name: 'unlock', params: {}, requestedAt: 1 });
    await r.advance(400, 100);
    assert.deepEqual(l.on('commands/unlock/reply'), [], 'no reply before the latency has passed');
    await r.advance(200, 100);
    assert.deepEqual(l.on('commands/unlock/reply'), [{ id: 'c1', status: 'ok' }]);
    const shadows = l.on('shadow/update') as { state: { reported: Record<string, unknown> } }[];
    assert.deepEqual(shadows[shadows.length - 1], { state: { reported: { lock: 'unlocked' } } });
    const replyAt = l.published.findIndex((p) => p.topic.endsWith('/reply'));
    const shadowAt = l.published.findLastIndex((p) => p.topic.endsWith('shadow/update'));
    assert.ok(shadowAt < replyAt, 'the shadow is reported before the reply');

    l.deliver('devices/d1/commands/teleport', { id: 'c2', name: 'teleport' });
    l.deliver('devices/d1/commands/lock', 'not json');
    await r.advance(600, 100);
    assert.deepEqual(l.on('commands/teleport/reply'), [
      {
        id: 'c2',
        status: 'error',
        code: 'UNKNOWN_COMMAND',
        message: 'scooter does not know command "teleport"',
      },
    ]);
    assert.equal(r.ctx.counters.commandsUnreadable, 1);
  });

  test('fails commands at the profile failure rate and delays slow replies', async () => {
    const r = await rig(scooter, (p) => {
      quiet(p);
      p.commands.latency = { dist: 'fixed', ms: 0 };
      p.commands.failureRate = 1;
      p.faults.slowReplyShare = 1;
      p.faults.slowReplyExtraMs = 5000;
    });
    r.link().deliver('devices/d1/commands/lock', { id: 'c1', name: 'lock' });
    await r.advance(4000);
    assert.deepEqual(r.link().on('/reply'), []);
    await r.advance(2000);
    assert.deepEqual(r.link().on('commands/lock/reply'), [
      { id: 'c1', status: 'error', code: 'DEVICE_FAILURE', message: 'simulated device failure' },
    ]);
    assert.equal(r.ctx.counters.faults.slow, 1);
  });

  test('applies desired set-points after the delay and reports them', async () => {
    const r = await rig(boiler, (p) => {
      quiet(p);
      p.boiler!.setpoints.applyDelayS = [5, 5];
    });
    const l = r.link();
    l.deliver('$aws/things/d1/shadow/update/delta', {
      version: 3,
      state: { flowTempSetpoint: 72, unknownKey: 1 },
    });
    await r.advance(4000);
    assert.equal(l.on('shadow/update').length, 1, 'only the initial report so far');
    await r.advance(2000);
    assert.deepEqual(l.on('shadow/update')[1], { state: { reported: { flowTempSetpoint: 72 } } });
    assert.equal(r.ctx.counters.deltasApplied, 1);
    await r.advance(3 * 60_000);
    const tel = l.on('/telemetry') as { flowTemp: number }[];
    assert.ok(tel[tel.length - 1]!.flowTemp > 66, 'flow temperature follows the new set-point');
  });

  test('desired lock state left while offline arrives through get/accepted', async () => {
    const r = await rig(scooter, quiet);
    r.link().deliver('$aws/things/d1/shadow/get/accepted', {
      state: { desired: { lock: 'unlocked' }, reported: { lock: 'locked' }, delta: { lock: 'unlocked' } },
    });
    await r.advance(3000);
    const s = r.link().on('shadow/update') as { state: { reported: { lock?: string } } }[];
    assert.equal(s[s.length - 1]!.state.reported.lock, 'unlocked');
  });

  test('battery failure mid-ride: the device vanishes without DISCONNECT and stays silent', async () => {
    const r = await rig(scooter, (p) => {
      quiet(p);
      p.scooter!.tripsPerHour = 3600; // rides start within seconds
      p.scooter!.tripDurationS = [3600, 3600];
    });
    assert.equal(
      r.device.inject('battery'),
      false,
      'not riding yet: a parked scooter does not fail this way',
    );
    await r.advance(30_000);
    const l = r.link();
    assert.equal(r.device.inject('battery'), true);
    assert.equal(l.state, 'dropped');
    assert.equal(r.device.state, 'dead');
    const count = l.published.length;
    await r.advance(10 * 60_000, 10_000);
    assert.equal(l.published.length, count, 'nothing more is sent');
    assert.equal(r.links.length, 1, 'no reconnect');
    assert.equal(r.ctx.counters.online, 0);
  });

  test('network drop: gone for dropDownS, then a new connection', async () => {
    const r = await rig(boiler, (p) => {
      quiet(p);
      p.faults.dropDownS = 20;
    });
    assert.equal(r.device.inject('drop'), true);
    assert.equal(r.links[0]!.state, 'dropped');
    assert.equal(r.device.state, 'offline');
    await r.advance(19_000);
    assert.equal(r.links.length, 1);
    await r.advance(2000);
    assert.equal(r.links.length, 2);
    assert.equal(r.device.state, 'online');
    assert.equal(r.ctx.counters.connects, 2);
  });

  test('an unexpected close reconnects with backoff', async () => {
    const r = await rig(boiler, quiet);
    r.links[0]!.onClose(new Error('server went away'));
    assert.equal(r.ctx.counters.unexpectedDisconnects, 1);
    await r.advance(2000, 100);
    assert.equal(r.links.length, 2);
    assert.equal(r.device.state, 'online');
  });

  test('flapping drops and reconnects the configured number of times', async () => {
    const r = await rig(boiler, (p) => {
      quiet(p);
      p.faults.flapCycles = 3;
      p.faults.flapPeriodS = 4;
    });
    r.device.inject('flap');
    await r.advance(20_000, 500);
    assert.equal(r.links.length, 4, 'initial connection + 3 reconnects');
    assert.equal(r.links.filter((l) => l.state === 'dropped').length, 3);
    assert.equal(r.device.state, 'online');
  });

  test('hardware error bursts and malformed payloads', async () => {
    const r = await rig(scooter, (p) => {
      quiet(p);
      p.faults.burstSize = 4;
      p.faults.malformedShare = 1;
      p.telemetry.idleIntervalS = 10;
    });
    r.device.inject('burst');
    await r.advance(60_000);
    const l = r.link();
    const events = l.on('/events') as { code: string; severity: string; message: string; ts: number }[];
    assert.equal(events.length, 4);
    const codes = scooter.events.codes.map((c) => c.code);
    for (const e of events)
      assert.ok(codes.includes(e.code) && typeof e.ts === 'number' && e.severity && e.message);
    const telemetry = l.published.filter((p) => p.topic.endsWith('/telemetry'));
    assert.ok(telemetry.length >= 4);
    for (const t of telemetry) {
      let ok: boolean;
      try {
        const v = JSON.parse(t.payload) as { ts?: unknown; battery?: unknown };
        ok = typeof v.ts === 'number' && typeof v.battery === 'number';
      } catch {
        ok = false;
      }
      assert.equal(ok, false, `malformed payload expected, got ${t.payload}`);
    }
    assert.equal(r.ctx.counters.malformedSent, telemetry.length);
  });

  test('stop ends the connection gracefully and cancels every timer', async () => {
    const r = await rig(boiler, quiet);
    await r.device.stop();
    assert.equal(r.link().state, 'ended');
    const n = r.link().published.length;
    await r.advance(10 * 60_000, 60_000);
    assert.equal(r.link().published.length, n);
  });
});

describe('scooter model', () => {
  test('rides move along the route and drain the battery; parked scooters stay put', () => {
    const p = scooter.scooter!;
    const s = new Scooter(
      { ...p, tripsPerHour: 3600, tripDurationS: [600, 600], drainPctPerKm: 2 },
      createRng(3),
      0,
    );
    const before = s.telemetry();
    s.advance(5 * 60_000);
    const during = s.telemetry();
    assert.equal(during.riding, true);
    assert.notDeepEqual([during.lat, during.lon], [before.lat, before.lon]);
    assert.ok((during.battery as number) < (before.battery as number));
    assert.equal(s.reported().lock, 'unlocked');
    s.advance(30 * 60_000);
    assert.equal(s.command('lock').ok, true);
    assert.equal(s.reported().lock, 'locked');
  });

  test('route positions stay on the route', () => {
    const route = new Route([
      [0, 0],
      [0, 1],
    ]);
    assert.deepEqual(route.at(0), { lat: 0, lon: 0, heading: 90 });
    const mid = route.at(route.length / 4);
    assert.ok(Math.abs(mid.lon - 0.5) < 1e-9 && mid.lat === 0);
    assert.ok(route.length > 222_000 && route.length < 223_000, `length ${route.length}`);
  });
});
