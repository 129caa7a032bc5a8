/**
 * `tsunagu bench schedules`: (1) a year resolved at minute resolution for a sample of schedules in
 * four zones (pure resolution, no I/O); (2) the whole platform on a manual clock with N mqtt.js
 * boilers (in this process, on loopback) split over S schedules, and the 06:00 slot firing for all
 * of them: time until every shadow write is durable, time until every execution is verified
 * (boilers report what they receive), shadow writes/s and CPU per execution. CPU is this process's,
 * so it includes the boilers' mqtt.js clients: an upper bound for the platform's share.
 *
 * `--virtual`: the boilers are not sockets but in-process stand-ins — announced connected on the
 * bus (so presence counts them online, as the broker's connect hook would) and reporting each
 * scheduled desired state back through the shadow service as the device (what the shadow topic
 * handler does for a real boiler). That is how 100,000 boilers fit on one shared machine: the
 * platform's side (execution rows, shadow writes and history, verification) is all there; the
 * MQTT delivery of deltas is not.
 */
import { BENCH_TOKEN, connectFleet, startBenchPlatform } from './fleet.js';
import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import { ManualClock, parseCliOptions } from '../core/index.js';
import { Resolver, type ScheduleSpec, type SchedulesModule, type ShadowWriter } from '../schedules/index.js';

export interface SchedulesBenchOptions {
  boilers: number;
  schedules: number;
  /** Schedules whose year is resolved minute by minute. */
  sample: number;
  database: string;
  /** In-process boilers instead of mqtt.js clients (see above). */
  virtual: boolean;
}

const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Lord_Howe'];

const spec = (i: number, timezone: string): ScheduleSpec => ({
  timezone,
  holidays: { public: ['2026-01-01', '2026-04-06', '2026-12-25', '2026-12-26'] },
  exceptions: [{ date: '2026-12-24', slots: [{ time: '12:00', patch: { mode: 'eco', setpoint: 45 } }] }],
  rules: [
    {
      name: 'holiday',
      when: { holidays: ['public'] },
      slots: [{ time: '08:00', patch: { mode: 'heat', setpoint: 50 } }],
    },
    {
      name: 'season',
      when: { days: ['weekday'], between: { from: '10-01', to: '04-30' } },
      slots: [
        { time: '02:30', patch: { mode: 'night', setpoint: 35 + (i % 5) } },
        { time: '06:00', patch: { mode: 'heat', setpoint: 55 } },
        { time: '22:00', patch: { mode: 'eco', setpoint: 40 } },
      ],
    },
    {
      name: 'service',
      when: { rrule: 'FREQ=MONTHLY;BYDAY=1MO' },
      slots: [{ time: '04:00', patch: { mode: 'service' } }],
    },
    { name: 'rest', when: {}, slots: [{ time: '07:00', patch: { mode: 'off' } }] },
  ],
});

function resolveYears(sample: number): { resolves: number; ms: number; perYearMs: number } {
  const start = Date.UTC(2026, 0, 1);
  const end = Date.UTC(2027, 0, 1);
  const t0 = performance.now();
  let resolves = 0;
  for (let i = 0; i < sample; i++) {
    const r = new Resolver(spec(i, ZONES[i % ZONES.length]!));
    for (let m = start; m < end; m += 60_000, resolves++) r.at(m);
  }
  const ms = performance.now() - t0;
  return { resolves, ms, perYearMs: ms / sample };
}

const TOKEN = BENCH_TOKEN;

/** Progress on stderr (a long run that is stopped still says how far it got). */
const progress = (t0: number, text: string): void => {
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${text}\n`);
};

/** Baseline sample: this many devices written per device (as before batching) and in batches. */
const BASELINE_DEVICES = 4000;

/**
 * The same desired writes two ways, on a named shadow the schedules do not touch: one
 * `update` per device, 16 in flight (what the executor did before batching), and `updateMany`
 * 400 a call. Returns writes/s of each.
 */
async function baseline(
  shadows: ShadowWriter,
  ids: string[],
): Promise<{ devices: number; perDevicePerS: number; batchedPerS: number }> {
  const sample = ids.slice(0, BASELINE_DEVICES);
  const actor = { kind: 'system' as const, id: 'bench' };
  const body = { state: { desired: { setpoint: 55 } } };
  let t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < sample.length; i = next++)
        await shadows.update(sample[i]!, 'bench-per-device', body, actor);
    }),
  );
  const perDevice = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < sample.length; i += 400)
    await shadows.updateMany(
      sample.slice(i, i + 400).map((deviceId) => ({ deviceId, name: 'bench-batched', body, actor })),
    );
  const batched = performance.now() - t;
  return {
    devices: sample.length,
    perDevicePerS: sample.length / (perDevice / 1000),
    batchedPerS: sample.length / (batched / 1000),
  };
}

async function slotFiring(opts: SchedulesBenchOptions) {
  // Monday 2026-03-02 05:59:50 in Berlin.
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 4, 59, 50));
  const platform = await startBenchPlatform(opts.database, { clock });
  const app = platform.app;
  const headers = { authorization: `Bearer ${TOKEN}` };
  const tStart = performance.now();
  const clients: MqttClient[] = [];
  try {
    const mod = app.modules.find((m) => m.name === 'schedules') as SchedulesModule;
    const ids = Array.from({ length: opts.boilers }, (_, i) => `boiler-${i}`);
    // Registered through the registry's YAML import, 10,000 a request (one request per device
    // would dominate a 100,000-device run).
    for (let i = 0; i < ids.length; i += 10_000) {
      const devices = ids
        .slice(i, i + 10_000)
        .map((id, j) => ({ id, tags: [`plan-${(i + j) % opts.schedules}`] }));
      const payload = JSON.stringify({ devices }); // JSON is YAML
      const r = await app.http.inject({
        method: 'POST',
        url: '/api/v1/import',
        headers: { ...headers, 'content-type': 'application/yaml' },
        payload,
      });
      if (r.statusCode !== 200) throw new Error(`registering boilers: ${r.statusCode} ${r.body}`);
    }
    const registeredMs = performance.now() - tStart;
    progress(tStart, `${ids.length} boilers registered`);
    const shadowService = (
      app.modules.find((m) => m.name === 'shadows') as unknown as { service: ShadowWriter }
    ).service;
    if (opts.virtual) {
      const shadows = shadowService;
      for (const deviceId of ids)
        app.bus.emit('device.connected', {
          deviceId,
          at: clock.now(),
          remoteAddress: '127.0.0.1',
          protocolVersion: 4,
          keepalive: 0,
          cleanStart: true,
        });
      // A virtual boiler applies what the schedule wrote and reports it, as the device.
      app.bus.on('shadow.updated', (e) => {
        if (!e.actor.id.startsWith('schedule:') || !e.desired) return;
        const reported = e.desired;
        setImmediate(() => {
          shadows
            .update(e.deviceId, e.shadowName, { state: { reported } }, { kind: 'device', id: e.deviceId })
            .catch(() => undefined);
        });
      });
    } else {
      clients.push(
        ...(await connectFleet(platform.mqttUrl, ids, {
          keepalive: 0,
          connectTimeout: 60_000,
        })),
      );
      // Boilers apply every delta: report it back on the shadow update topic.
      await Promise.all(
        clients.map(async (c, i) => {
          const prefix = `$aws/things/${ids[i]}/shadow`;
          c.on('message', (_t, payload) => {
            const delta = (JSON.parse(payload.toString()) as { state: unknown }).state;
            c.publishAsync(`${prefix}/update`, JSON.stringify({ state: { reported: delta } }), {
              qos: 1,
            }).catch(() => undefined);
          });
          await c.subscribeAsync(`${prefix}/update/delta`, { qos: 1 });
        }),
      );
    }
    const tSetup = performance.now();
    let written = 0;
    let verified = 0;
    const slotAt = Date.UTC(2026, 2, 2, 5, 0);
    app.bus.on('shadow.updated', (e) => {
      if (e.actor.id.startsWith('schedule:') && e.desired?.setpoint === 55) written++;
    });
    app.bus.on('schedule.execution', (e) => {
      if (e.slotAt === slotAt && e.status === 'verified') verified++;
    });
    for (let s = 0; s < opts.schedules; s++) {
      const body = {
        name: `plan-${s}`,
        targets: { tags: [`plan-${s}`] },
        ...spec(s, 'Europe/Berlin'),
      };
      const r = await app.http.inject({ method: 'POST', url: '/api/v1/schedules', headers, payload: body });
      if (r.statusCode !== 201) throw new Error(`schedule ${s}: ${r.statusCode} ${r.body}`);
    }
    progress(tStart, `${opts.schedules} schedules created`);
    await mod.idle(); // the startup executions (Sunday's 07:00 "off")
    await new Promise((r) => setTimeout(r, 2000));
    await mod.idle();
    const schedulesLoadedMs = performance.now() - tSetup;
    progress(tStart, `state due at start applied (${Math.round(schedulesLoadedMs)} ms)`);
    const base = await baseline(shadowService, ids);
    progress(
      tStart,
      `baseline on ${base.devices} devices: ${Math.round(base.perDevicePerS)} writes/s per device, ${Math.round(base.batchedPerS)} batched`,
    );
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let tWritten = NaN;
    clock.advance(10_000); // 06:00
    let lastProgress = t0;
    while (verified < opts.boilers) {
      if (written >= opts.boilers && Number.isNaN(tWritten)) tWritten = performance.now() - t0;
      if (performance.now() - lastProgress > 10_000) {
        lastProgress = performance.now();
        const rss = Math.round(process.memoryUsage().rss / 1048576);
        progress(t0, `06:00 slot: ${written} written, ${verified} verified; RSS ${rss} MB`);
      }
      if (performance.now() - t0 > 1_800_000) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const tVerified = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (Number.isNaN(tWritten)) tWritten = tVerified;
    return {
      boilers: opts.boilers,
      schedules: opts.schedules,
      written,
      verified,
      writeAllMs: tWritten,
      verifyAllMs: tVerified,
      shadowWritesPerSecond: written / (tWritten / 1000),
      cpuMsPerExecution: (cpu.user + cpu.system) / 1000 / Math.max(1, verified),
      registeredMs,
      schedulesLoadedMs,
      rssMb: process.memoryUsage().rss / 1048576,
      baseline: base,
    };
  } finally {
    for (const c of clients) c.end(true);
    await platform.close();
  }
}

export async function benchSchedules(opts: SchedulesBenchOptions) {
  const year = resolveYears(opts.sample);
  const slot = await slotFiring(opts);
  return { year, slot };
}

/** CLI entry: `tsunagu bench schedules [--boilers 1000] [--schedules 10] [--sample 8] [--database sqlite|postgres://…] [--virtual]`. */
export async function runSchedulesBenchCli(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'tsunagu bench schedules [--boilers 1000] [--schedules 10] [--sample 8] [--database sqlite|postgres://…] [--virtual]\n',
    );
    return;
  }
  const o = parseCliOptions(args) as Partial<SchedulesBenchOptions>;
  const opts: SchedulesBenchOptions = {
    boilers: Number(o.boilers ?? 1000),
    schedules: Number(o.schedules ?? 10),
    sample: Number(o.sample ?? 8),
    database: String(o.database ?? 'sqlite'),
    virtual: args.includes('--virtual'),
  };
  const { year, slot } = await benchSchedules(opts);
  const f = (n: number, d = 1) => n.toFixed(d);
  process.stdout.write(
    [
      `resolution: ${opts.sample} schedules × a year at minute resolution (${ZONES.slice(0, opts.sample).join(', ')})`,
      `  ${year.resolves} resolves in ${f(year.ms, 0)} ms: ${f(year.resolves / (year.ms / 1000), 0)} resolves/s, ${f(year.perYearMs, 0)} ms per schedule-year`,
      `06:00 slot: ${slot.boilers} ${opts.virtual ? 'in-process (virtual)' : 'mqtt.js'} boilers on ${slot.schedules} schedules (${opts.database})`,
      `  ${slot.boilers} boilers registered (YAML import, 10,000 a request) in ${f(slot.registeredMs, 0)} ms`,
      `  schedules created and the state due at start applied in ${f(slot.schedulesLoadedMs, 0)} ms`,
      `  all shadow writes durable after ${f(slot.writeAllMs, 0)} ms (${slot.written} writes, ${f(slot.shadowWritesPerSecond, 0)} writes/s)`,
      `  all executions verified after ${f(slot.verifyAllMs, 0)} ms (${slot.verified}/${slot.boilers})`,
      `  baseline, ${slot.baseline.devices} desired writes: ${f(slot.baseline.perDevicePerS, 0)} writes/s one update per device (16 in flight), ${f(slot.baseline.batchedPerS, 0)} writes/s with updateMany (400 a transaction): ×${f(slot.baseline.batchedPerS / slot.baseline.perDevicePerS)}`,
      `  CPU per execution: ${f(slot.cpuMsPerExecution, 2)} ms (this process, ${opts.virtual ? "boilers' reports" : "boilers' mqtt.js clients"} included); RSS ${f(slot.rssMb, 0)} MB`,
      '',
    ].join('\n'),
  );
}
