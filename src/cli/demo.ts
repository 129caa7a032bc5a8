/**
 * `tsunagu start --demo`: the platform plus a living fleet, so a newcomer sees devices online,
 * telemetry flowing, a scooter going silent and out of service, and an unlock SLO burning budget.
 *
 * Steps: a local Slack-style webhook sink → a notification channel and route to it → health policies
 * and SLOs for the demo models → simulated scooters and boilers (provisioned through the API, each
 * with its own credential) → a driver that unlocks and locks random scooters every few seconds.
 * Everything runs against this process's own listeners on loopback and stops with the platform.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddresses } from '../app.js';
import type { Logger } from '../core/index.js';
import { startSimulation, type Simulation } from '../sim/index.js';

export interface DemoOptions {
  addresses: ListenAddresses;
  token: string;
  log: Logger;
  scooters?: number;
  boilers?: number;
  /** Simulated time runs this many times faster (default 10: a 30 s heartbeat every 3 s). */
  speed?: number;
  /** Milliseconds between demo commands (default 4000). */
  commandEveryMs?: number;
}

export interface Demo {
  sinkUrl: string;
  /** Messages the Slack-style sink received (newest last, at most 500). */
  received: unknown[];
  simulations: Simulation[];
  stop(): Promise<void>;
}

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

export async function startDemo(opts: DemoOptions): Promise<Demo> {
  const { addresses, token, log } = opts;
  const host = local(addresses.host);
  const http = `http://${host}:${addresses.http}`;
  const speed = opts.speed ?? 10;
  const received: unknown[] = [];
  const api = (method: string, path: string, body?: unknown): Promise<unknown> =>
    call(http, token, method, path, body);

  // 1. Notifications go to a local Slack-style sink (its messages appear in the log and the console).
  const sink = await startSink(log, received);
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/slack`;
  const channel = (await api('POST', '/notification-channels', {
    name: 'demo slack sink',
    type: 'slack',
    url: sinkUrl,
    consoleUrl: http,
  })) as { id?: string } | undefined;
  if (channel?.id)
    await api('POST', '/notification-routes', {
      name: 'demo: everything',
      channelIds: [channel.id],
      kinds: ['service-state.changed', 'health.alert', 'slo.alert', 'slo.budget-exhausted'],
    });

  // 2. SLOs on critical machine communication.
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
      target: 0.98,
    },
    { name: 'decode-health', displayName: 'Messages decode', sli: { type: 'decode-health' }, target: 0.999 },
  ];
  for (const s of slos) await api('POST', '/slos', { ...s, window: { rolling: '30d' } });

  // 3. The fleet: scooters lose their battery now and then (silent → out of service), answer
  //    unlock/lock with a small failure rate; boilers report every (simulated) minute.
  const mqtt = `mqtt://${host}:${addresses.mqtt}`;
  const target = { url: http, token };
  const scooters = await startSimulation({
    url: mqtt,
    devices: opts.scooters ?? 40,
    profile: 'scooter',
    api: target,
    durationS: Infinity,
    speed,
    idPrefix: 'scooter',
    faults: { batteryPerHour: 0.3, burstPerHour: 0.05, flapPerHour: 0.02, malformedShare: 0.002 },
    ...(addresses.extra.telegram ? { telegram: `${host}:${addresses.extra.telegram}` } : {}),
  });
  // Hardware errors: a jammed lock takes a scooter out at once; brake sensor errors three times in ten minutes.
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
    profile: 'boiler',
    api: target,
    durationS: Infinity,
    speed,
    idPrefix: 'boiler',
  });

  // 4. Riders: unlock a random scooter, lock it again on the next tick.
  let unlocked: string | undefined;
  let n = 0;
  const driver = setInterval(() => {
    const name = unlocked ? 'lock' : 'unlock';
    const ids = scooters.deviceIds;
    const id = unlocked ?? ids[Math.floor(Math.random() * ids.length)];
    unlocked = unlocked ? undefined : id;
    if (!id) return;
    n++;
    api('POST', `/devices/${encodeURIComponent(id)}/commands`, {
      name,
      params: { ride: n },
      timeoutMs: 3000,
      offline: 'reject',
    }).catch((err: unknown) => log.debug({ err }, 'demo command failed'));
  }, opts.commandEveryMs ?? 4000);
  driver.unref();

  return {
    sinkUrl,
    received,
    simulations: [scooters, boilers],
    async stop() {
      clearInterval(driver);
      await Promise.allSettled([scooters.stop(), boilers.stop()]);
      await new Promise<void>((resolve) => sink.close(() => resolve()));
    },
  };
}
