/**
 * The simulator against Tsunagu itself: devices provisioned through the HTTP API connect with
 * their own credentials, answer commands sent through `POST /api/v1/devices/{id}/commands`, and
 * the load test measures command latency end to end.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { apiRequest, sendCommand, type ApiTarget } from './api-client.js';
import { runLoadtest } from './loadtest.js';
import { boilerSchedule, ensureSchedule } from './schedule.js';
import { loadProfile } from './profile.js';
import { startSimulation } from './simulation.js';
import { TelegramLink } from './telegram.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('simulator against the Tsunagu platform', () => {
  let platform: TestPlatform;
  let api: ApiTarget;
  before(async () => {
    platform = await startTestPlatform({ allowAnonymous: true, telegramPort: 0 });
    api = { url: platform.httpUrl, token: platform.adminToken };
  });
  after(async () => {
    await platform?.close();
  });

  test('provisioned devices connect with their own credentials and answer API commands', async () => {
    const profile = structuredClone(loadProfile('scooter'));
    profile.commands.failureRate = 0;
    const sim = await startSimulation({
      url: platform.mqttUrl,
      devices: 5,
      profile,
      api,
      durationS: 60,
      speed: 100,
      idPrefix: 'prov',
      commandLatency: { dist: 'fixed', ms: 1000 },
    });
    try {
      await sim.waitOnline(5, 10_000);
      const model = await apiRequest(api, 'GET', '/api/v1/device-models/scooter');
      assert.equal(model.status, 200, model.text);
      const dev = await apiRequest(api, 'GET', '/api/v1/devices/prov-00002');
      assert.equal(dev.status, 200, dev.text);
      assert.equal((dev.body as { model: string }).model, 'scooter');

      const r = await sendCommand(api, 'prov-00002', 'unlock', 5000);
      assert.equal(r.status, 'succeeded');
      assert.equal(r.ok, true);
      let lock: unknown;
      for (let i = 0; i < 50 && lock !== 'unlocked'; i++) {
        const s = await apiRequest(api, 'GET', '/api/v1/devices/prov-00002/shadow');
        lock = (s.body as { state?: { reported?: { lock?: unknown } } } | undefined)?.state?.reported?.lock;
        if (lock !== 'unlocked') await sleep(50);
      }
      assert.equal(lock, 'unlocked', 'the lock state reached the platform shadow');
      const unknown = await sendCommand(api, 'prov-00003', 'teleport', 5000);
      assert.equal(unknown.ok, false);
      assert.equal(unknown.status, 'failed');
      assert.equal(sim.counters.connectFailures, 0);
    } finally {
      await sim.stop();
    }
  });

  test('--schedule: the simulated boilers get a schedule; its execution is verified, a refusing boiler is re-sent', async () => {
    const profile = structuredClone(loadProfile('boiler'));
    profile.boiler!.setpoints.refuseRate = 0;
    profile.boiler!.setpoints.applyDelayS = [0, 0];
    // Neither slot's state (heat 65 / eco 45) is what the boilers start with.
    profile.boiler!.setpoints.initial = { mode: 'off', flowTempSetpoint: 30 };
    const sim = await startSimulation({
      url: platform.mqttUrl,
      devices: 3,
      profile,
      api,
      durationS: 120,
      speed: 1,
      idPrefix: 'sched',
    });
    try {
      await sim.waitOnline(3, 10_000);
      const stuck = sim.devices[2]!;
      stuck.ignoreDesired();
      const body = boilerSchedule(profile.name, { verify: { timeoutMs: 1000, attempts: 3, backoffMs: 200 } });
      const id = await ensureSchedule(api, body);
      assert.equal(await ensureSchedule(api, body), id, 'replaced by name, not created twice');
      const byStatus = async (): Promise<Map<string, string>> => {
        const r = await apiRequest(api, 'GET', `/api/v1/schedules/${id}/executions?limit=100`);
        const items = (r.body as { items: { deviceId: string; status: string; attempts: number }[] }).items;
        return new Map(
          items.filter((e) => e.deviceId.startsWith('sched')).map((e) => [e.deviceId, e.status]),
        );
      };
      let seen = new Map<string, string>();
      for (let i = 0; i < 200; i++) {
        seen = await byStatus();
        if (seen.get('sched-00001') === 'verified' && seen.get(stuck.id) === 'failed') break;
        await sleep(50);
      }
      assert.equal(seen.get('sched-00001'), 'verified');
      assert.equal(seen.get('sched-00002'), 'verified');
      assert.equal(
        seen.get(stuck.id),
        'failed',
        'the boiler that ignores desired state fails after 3 attempts',
      );
      const shadow = await apiRequest(api, 'GET', '/api/v1/devices/sched-00001/shadow');
      const st = (
        shadow.body as { state: { desired: Record<string, unknown>; reported: Record<string, unknown> } }
      ).state;
      assert.equal(st.reported.mode, st.desired.mode);
      assert.ok(st.desired.mode === 'heat' || st.desired.mode === 'eco');
    } finally {
      await sim.stop();
    }
  });

  test('without --api, devices connect anonymously to a broker that allows it', async () => {
    const sim = await startSimulation({
      url: platform.mqttUrl,
      devices: 3,
      profile: 'boiler',
      durationS: 30,
      speed: 600,
      idPrefix: 'anon',
    });
    try {
      await sim.waitOnline(3, 10_000);
      for (let i = 0; i < 100 && sim.counters.heartbeats < 3; i++) await sleep(20);
      assert.ok(sim.counters.heartbeats >= 3);
      assert.equal(sim.counters.publishFailures, 0);
    } finally {
      await sim.stop();
    }
  });

  test('load test with --api measures command latency through the platform', async () => {
    const r = await runLoadtest({
      url: platform.mqttUrl,
      api,
      profile: 'scooter',
      mode: 'load',
      slo: 'p99 command latency < 5s',
      startDevices: 4,
      maxDevices: 4,
      stepS: 1,
      ratePerDevice: 5,
      commandRate: 10,
    });
    assert.equal(r.latencyMetric, 'command');
    const step = r.steps[0]!;
    assert.ok(step.command && step.command.count > 0, JSON.stringify(step));
    assert.equal(step.command.failed, 0);
    assert.equal(r.lastGood?.devices, 4);
    assert.ok(r.metrics['p99 command latency at 4 devices']);
  });
});

const FIXTURE = new URL('../telemetry/fixtures/scooter-telegram.yaml', import.meta.url);

describe(
  'CSV telegrams into the platform',
  { skip: !existsSync(FIXTURE) && 'telemetry fixture not present' },
  () => {
    test('telegram scooters say HELLO with their API secret and their telegrams decode into points', async () => {
      const platform = await startTestPlatform({ telegramPort: 0 });
      try {
        const api = { url: platform.httpUrl, token: platform.adminToken };
        const telegramPort = platform.addresses.extra.telegram;
        assert.ok(telegramPort, 'the platform opened a telegram listener');
        // A wrong secret is refused with `ERR …`, which the simulator reports as a failed connect.
        await assert.rejects(
          TelegramLink.open('127.0.0.1', telegramPort, 'nobody', 'wrong-secret', 5000),
          /telegram refused: /,
        );
        const decoder = parseYaml(readFileSync(FIXTURE, 'utf8')) as { id: string };
        const d = await apiRequest(api, 'POST', '/api/v1/decoders', decoder);
        assert.equal(d.status, 201, d.text);
        const m = await apiRequest(api, 'POST', '/api/v1/device-models', {
          name: 'old-scooter',
          decoder: decoder.id,
        });
        assert.equal(m.status, 201, m.text);
        const profile = structuredClone(loadProfile('scooter'));
        profile.name = 'old-scooter';
        profile.telegram.share = 1;
        const sim = await startSimulation({
          url: platform.mqttUrl,
          devices: 3,
          profile,
          api,
          telegram: `127.0.0.1:${telegramPort}`,
          durationS: 60,
          speed: 300, // a telegram every 100 ms (heartbeat interval) while parked
          idPrefix: 'tg',
        });
        try {
          await sim.waitOnline(3, 10_000);
          let points = 0;
          for (let i = 0; i < 100 && points === 0; i++) {
            await sleep(50);
            const r = await apiRequest(api, 'GET', '/api/v1/devices/tg-00001/telemetry?metric=battery.soc');
            points = ((r.body as { points?: unknown[] } | undefined)?.points ?? []).length;
          }
          assert.ok(points > 0, 'battery.soc points from decoded telegrams');
          assert.ok(sim.counters.telegrams > 0);
          assert.equal(sim.counters.unexpectedDisconnects, 0, 'HELLO accepted, no refusals');
        } finally {
          await sim.stop();
        }
      } finally {
        await platform.close();
      }
    });
  },
);
