/**
 * `tsunagu start --demo`: the platform plus a living fleet, so a newcomer sees devices online,
 * telemetry flowing, schedules applied, SLOs mostly met — and a scripted incident (demo-story.ts)
 * that starts, alerts and is repaired within the first ten minutes.
 *
 * Steps: a local Slack-style webhook sink → a notification channel and route to it → health policies
 * and SLOs for the demo models → simulated scooters and boilers (provisioned through the API, each
 * with its own credential) → a boiler schedule → the story (riders, the incident, a field crew).
 * Setup is idempotent: a restart on the same data directory updates the channel, route and schedule
 * it made before instead of adding new ones. Everything runs against this process's own listeners on
 * loopback and stops with the platform.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddresses } from '../app.js';
import type { Logger } from '../core/index.js';
import { boilerSchedule, loadProfile, startSimulation, type Profile, type Simulation } from '../sim/index.js';
import { startStory, type DemoApi, type Story } from './demo-story.js';

export interface DemoOptions {
  addresses: ListenAddresses;
  token: string;
  /** Password of the console user the demo makes (`demo@tsunagu.local`, admin); none: no user. */
  password?: string;
  log: Logger;
  scooters?: number;
  boilers?: number;
  /** Simulated time runs this many times faster (default 10: a 30 s heartbeat every 3 s). */
  speed?: number;
  /** Milliseconds between demo commands (default 4000). */
  commandEveryMs?: number;
  /** Real milliseconds per minute of the scripted story (default 60,000; tests compress it). */
  storyMinuteMs?: number;
}

export interface Demo {
  sinkUrl: string;
  /** The console user's e-mail. */
  user: string;
  /** Messages the Slack-style sink received (newest last, at most 500). */
  received: unknown[];
  simulations: Simulation[];
  story: Story;
  stop(): Promise<void>;
}

const DEMO_USER = 'demo@tsunagu.local';

function local(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

async function call(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  // 409: already there from a previous demo run on the same data directory — fine.
  if (!res.ok && res.status !== 409) throw new Error(`demo: ${method} ${path} → ${res.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

function startSink(log: Logger, received: unknown[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        /* keep the text */
      }
      received.push(body);
      if (received.length > 500) received.shift();
      const text = (body as { text?: string } | undefined)?.text ?? raw.slice(0, 200);
      log.info({ sink: 'slack' }, `demo Slack sink received: ${text}`);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Find a definition the demo made on an earlier run (by name) and replace it, or create it. */
async function upsert(api: DemoApi, collection: string, body: { name: string }): Promise<{ id: string }> {
  const list = (await api('GET', collection)) as { id: string; name: string }[];
  const found = list.find((x) => x.name === body.name);
  if (found)
    return (await api('PUT', `${collection}/${encodeURIComponent(found.id)}`, body)) as { id: string };
  return (await api('POST', collection, body)) as { id: string };
}

/** The built-in profile with the demo's rates: realistic, so SLOs are mostly met and budgets burn slowly. */
function demoProfile(name: 'scooter' | 'boiler', eventsPerHour: number, commandFailureRate: number): Profile {
  const p = loadProfile(name);
  return {
    ...p,
    events: { ...p.events, ratePerHour: eventsPerHour },
    commands: { ...p.commands, failureRate: commandFailureRate },
  };
}

export async function startDemo(opts: DemoOptions): Promise<Demo> {
  const { addresses, token, log } = opts;
  const host = local(addresses.host);
  const http = `http://${host}:${addresses.http}`;
  const speed = opts.speed ?? 10;
  const received: unknown[] = [];
  const api: DemoApi = (method, path, body) => call(http, token, method, path, body);

  // 0. A console user (the console signs people in with e-mail and password, not API tokens); on a
  //    restart the kept password is set again.
  if (opts.password !== undefined) {
    const list = (await api('GET', '/users')) as
      { id: string; email: string }[] | { items: { id: string; email: string }[] };
    const users = Array.isArray(list) ? list : list.items;
    const found = users.find((u) => u.email === DEMO_USER);
    if (found) await api('PATCH', `/users/${encodeURIComponent(found.id)}`, { password: opts.password });
    else
      await api('POST', '/users', {
        email: DEMO_USER,
        name: 'Demo operator',
        role: 'admin',
        password: opts.password,
      });
  }

  // 1. Notifications go to a local Slack-style sink (its messages appear in the log and the console).
  //    The sink's port changes per start: the channel made last time is pointed at the new one.
  const sink = await startSink(log, received);
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/slack`;
  const channel = await upsert(api, '/notification-channels', {
    name: 'demo slack sink',
    type: 'slack',
    url: sinkUrl,
    consoleUrl: http,
  } as { name: string });
  await upsert(api, '/notification-routes', {
    name: 'demo: everything',
    channelIds: [channel.id],
    kinds: ['service-state.changed', 'health.alert', 'slo.alert', 'slo.budget-exhausted'],
  } as { name: string });

  // 2. SLOs on critical machine communication (409 on a restart: already there).
  const slos = [
    {
      name: 'unlock-success',
      displayName: 'Unlocks succeed',
      sli: { type: 'command-success', command: 'unlock' },
      target: 0.99,
    },
    {
      name: 'unlock-latency',
      displayName: 'Unlocks answer within 1 s',
      sli: { type: 'command-latency', command: 'unlock', thresholdMs: 1000 },
      target: 0.95,
    },
    { name: 'heartbeats', displayName: 'Heartbeats arrive', sli: { type: 'heartbeat' }, target: 0.995 },
    {
      name: 'fleet-availability',
      displayName: 'Fleet in service',
      sli: { type: 'availability' },
      target: 0.95,
    },
    { name: 'decode-health', displayName: 'Messages decode', sli: { type: 'decode-health' }, target: 0.999 },
    {
      name: 'boiler-schedules',
      displayName: 'Boilers apply their schedule',
      sli: { type: 'schedule-applied' },
      target: 0.95,
    },
  ];
  for (const s of slos) await api('POST', '/slos', { ...s, window: { rolling: '30d' } });

  // 3. The fleet, with everyday rates: a rare network flap (heartbeat_lost clears itself), now and
  //    then a hardware error, few failed commands, one malformed message in a few thousand.
  const mqtt = `mqtt://${host}:${addresses.mqtt}`;
  const target = { url: http, token };
  const scooters = await startSimulation({
    url: mqtt,
    devices: opts.scooters ?? 40,
    profile: demoProfile('scooter', 0.01, 0.003),
    api: target,
    durationS: Infinity,
    speed,
    idPrefix: 'scooter',
    faults: { batteryPerHour: 0.005, burstPerHour: 0, flapPerHour: 0.01, malformedShare: 0.0003 },
    ...(addresses.extra.telegram ? { telegram: `${host}:${addresses.extra.telegram}` } : {}),
  });
  // Hardware errors: a jammed lock takes a scooter out at once; brake sensor and battery cell
  // errors three times in ten minutes.
  await api('PUT', '/health/policies/scooter', {
    errorThresholds: [
      { code: 'E_LOCK_JAM', threshold: 1, windowMs: 600_000, severity: 'critical', action: 'out_of_service' },
      {
        code: 'E_BRAKE_SENSOR',
        threshold: 3,
        windowMs: 600_000,
        severity: 'error',
        action: 'out_of_service',
      },
      {
        code: 'E_BATTERY_CELL',
        threshold: 3,
        windowMs: 600_000,
        severity: 'error',
        action: 'out_of_service',
      },
      {
        code: 'E_MOTOR_OVERTEMP',
        threshold: 3,
        windowMs: 600_000,
        severity: 'warning',
        action: 'alert_only',
      },
    ],
  });
  const boilers = await startSimulation({
    url: mqtt,
    devices: opts.boilers ?? 10,
    profile: demoProfile('boiler', 0.002, 0.002),
    api: target,
    durationS: Infinity,
    speed,
    idPrefix: 'boiler',
    faults: { burstPerHour: 0, dropPerHour: 0.01 },
  });

  // 4. The boilers' yearly program. One boiler's controller is stuck in its own program: it ignores
  //    the schedule's writes (verification re-sends) until the crew resets it.
  const stuckBoiler = boilers.devices[boilers.devices.length > 2 ? 2 : 0];
  stuckBoiler?.ignoreDesired();
  await upsert(
    api,
    '/schedules',
    boilerSchedule(boilers.profile.name, {
      name: 'demo: boilers day and night',
      verify: { timeoutMs: 60_000, attempts: 12, backoffMs: 30_000, maxBackoffMs: 60_000 },
    }) as { name: string },
  );

  // 5. Riders, the incident and the crew.
  const story = startStory({
    api,
    log,
    scooters,
    boilers,
    ...(stuckBoiler ? { stuckBoiler } : {}),
    storyMinuteMs: opts.storyMinuteMs ?? 60_000,
    commandEveryMs: opts.commandEveryMs ?? 4000,
  });

  return {
    sinkUrl,
    user: DEMO_USER,
    received,
    simulations: [scooters, boilers],
    story,
    async stop() {
      story.stop();
      await Promise.allSettled([scooters.stop(), boilers.stop()]);
      await new Promise<void>((resolve) => sink.close(() => resolve()));
    },
  };
}
