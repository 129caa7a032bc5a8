/**
 * `startSimulation(opts)`: a fleet of simulated devices against any MQTT server. The programmatic
 * face used by `tsunagu sim`, the load test and the platform's demo mode.
 *
 * Steps: resolve the profile → (optional) provision model, devices and credentials through the
 * HTTP API → create the devices → spread their first connects over `connectWithinS` → run until
 * `durationS` has passed or `stop()` is called.
 */
import { systemClock, type Clock } from '../core/index.js';
import { ensureModel, mapLimit, provisionDevice, type ApiTarget } from './api-client.js';
import type { Behaviour } from './behaviour.js';
import { Boiler } from './boiler.js';
import { SimDevice, type Credentials, type DeviceContext, type FaultKind, type Link } from './device.js';
import { SimErrors } from './errors.js';
import { MqttLink } from './mqtt-link.js';
import { loadProfile, type FaultSettings, type Profile } from './profile.js';
import { createRng, deriveSeed, type Distribution } from './rng.js';
import { Scooter } from './scooter.js';
import { LatencyRecorder, newCounters, type SimCounters } from './stats.js';
import { TelegramLink } from './telegram.js';
import { SimTime } from './time.js';

export interface SimulationOptions {
  /** `mqtt://host:port` (plain TCP). */
  url: string;
  devices: number;
  /** A profile, a built-in name (`scooter`, `boiler`) or a YAML file path. */
  profile: Profile | string;
  /** Provision model, devices and credentials through the HTTP API; without it devices connect
   * anonymously: client id = device id, no user name or password (the broker must allow it —
   * Tsunagu's anonymous mode admits only clients that send no user name). */
  api?: ApiTarget;
  /** Real seconds until the simulation stops by itself. `Infinity` only for a demo that calls stop(). */
  durationS: number;
  /** Simulated time runs this many times faster than real time (default 1). */
  speed?: number;
  /** Raw TCP telegram listener for the profile's telegram share (`host:port`). */
  telegram?: string;
  /** Override the profile's fault settings (rates, shares). */
  faults?: Partial<FaultSettings>;
  /** Override the profile's command reply latency (the load test sets it to 0). */
  commandLatency?: Distribution;
  /** Device id prefix (default `sim-<profile name>`); ids are `<prefix>-00001` … */
  idPrefix?: string;
  seed?: number;
  /** Spread the first connects over this many real seconds (default: 1 s per 1,000 devices, at most 10). */
  connectWithinS?: number;
  keepaliveS?: number;
  /** Timeout for CONNACK, SUBACK and PUBACK (ms, default 10,000). */
  timeoutMs?: number;
  /** Concurrent API requests while provisioning (default 16). */
  provisionConcurrency?: number;
  clock?: Clock;
}

/** Lifecycle of a simulation. */
export type SimulationState =
  | 'running' // devices connecting or connected
  | 'stopping' // stop() called or duration reached; devices disconnecting
  | 'stopped'; // every device is stopped and its socket closed

export interface Simulation {
  readonly profile: Profile;
  readonly state: SimulationState;
  readonly deviceIds: readonly string[];
  /** Live counters (the same object is updated in place). */
  readonly counters: SimCounters;
  readonly latency: { publishAck: LatencyRecorder; connect: LatencyRecorder };
  /** The devices themselves (read their `state`, `inject` faults on one). */
  readonly devices: readonly SimDevice[];
  /** Add devices (provisioned like the first ones) and connect them over `withinS` seconds. */
  addDevices(count: number, withinS?: number): Promise<void>;
  /** Inject a fault now into up to `count` online devices where it applies; returns how many. */
  injectFault(kind: FaultKind, count?: number): number;
  /** performance.now() when the last batch of devices started connecting (after provisioning). */
  readonly connectsStartedAt: number;
  /** Resolves when at least `n` devices are online (rejects after `timeoutMs`). */
  waitOnline(n: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once the simulation has stopped (by duration or stop()). */
  readonly done: Promise<void>;
}

export function parseMqttUrl(url: string): { host: string; port: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw SimErrors.optionInvalid('--url', `"${url}" is not a URL (expected mqtt://host:port)`);
  }
  if (u.protocol !== 'mqtt:' && u.protocol !== 'tcp:')
    throw SimErrors.optionInvalid(
      '--url',
      `only mqtt://host:port (plain TCP) is supported, got ${u.protocol}`,
    );
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port === '' ? 1883 : Number(u.port) };
}

export function parseHostPort(text: string, option: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || m[1] === '' || port < 1 || port > 65535)
    throw SimErrors.optionInvalid(option, `expected host:port, got "${text}"`);
  return { host: m[1] as string, port };
}

function createBehaviour(profile: Profile, seed: number, simNow: number): Behaviour {
  const rng = createRng(seed ^ 0x5bd1e995);
  if (profile.scooter) {
    const s = new Scooter(profile.scooter, rng, simNow);
    s.intervalMs = profile.telemetry.intervalS * 1000;
    s.idleIntervalMs = profile.telemetry.idleIntervalS * 1000;
    return s;
  }
  if (profile.boiler) {
    const b = new Boiler(profile.boiler, rng);
    b.intervalMs = profile.telemetry.intervalS * 1000;
    return b;
  }
  throw SimErrors.optionInvalid('profile', `profile ${profile.name} has no ${profile.kind} section`);
}

export async function startSimulation(opts: SimulationOptions): Promise<Simulation> {
  const profile = typeof opts.profile === 'string' ? loadProfile(opts.profile) : opts.profile;
  const target = parseMqttUrl(opts.url);
  const telegram = opts.telegram === undefined ? undefined : parseHostPort(opts.telegram, '--telegram');
  const speed = opts.speed ?? 1;
  if (!(speed > 0)) throw SimErrors.optionInvalid('--speed', `must be > 0, got ${speed}`);
  if (!Number.isInteger(opts.devices) || opts.devices < 0)
    throw SimErrors.optionInvalid('--devices', `must be a whole number ≥ 0, got ${opts.devices}`);
  if (!(opts.durationS > 0))
    throw SimErrors.optionInvalid('--duration', `must be > 0, got ${opts.durationS}`);
  const clock = opts.clock ?? systemClock;
  const time = new SimTime(clock, speed);
  const seed = opts.seed ?? 1;
  const prefix = opts.idPrefix ?? `sim-${profile.name}`;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const keepaliveS = opts.keepaliveS ?? 60;
  const counters = newCounters();
  const latency = { publishAck: new LatencyRecorder(), connect: new LatencyRecorder() };
  const ctx: DeviceContext = {
    profile,
    faults: { ...profile.faults, ...opts.faults },
    commandLatency: opts.commandLatency ?? profile.commands.latency,
    time,
    counters,
    latency,
    hrNow: () => performance.now(),
    openLink: (id: string, creds: Credentials): Promise<Link> =>
      MqttLink.open({
        host: target.host,
        port: target.port,
        clientId: id,
        ...(creds.username === undefined ? {} : { username: creds.username }),
        ...(creds.password === undefined ? {} : { password: creds.password }),
        keepaliveS,
        timeoutMs,
        clock,
      }),
    ...(telegram
      ? {
          openTelegram: (id: string, creds: Credentials) =>
            TelegramLink.open(telegram.host, telegram.port, id, creds.password ?? '-', timeoutMs),
        }
      : {}),
  };
  if (opts.api)
    await ensureModel(opts.api, {
      name: profile.name,
      description: `simulated ${profile.kind} (tsunagu sim)`,
      heartbeatIntervalMs: (profile.heartbeat.intervalS * 1000) / speed,
    });

  const devices: SimDevice[] = [];
  let connectsStartedAt = performance.now();
  let state: SimulationState = 'running';
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => (resolveDone = r));

  const addDevices = async (count: number, withinS?: number): Promise<void> => {
    const from = devices.length;
    const ids = Array.from({ length: count }, (_, k) => `${prefix}-${String(from + k + 1).padStart(5, '0')}`);
    const api = opts.api;
    const creds: Credentials[] = api
      ? await mapLimit(ids, opts.provisionConcurrency ?? 16, (id) => provisionDevice(api, id, profile.name))
      : ids.map(() => ({}));
    if (state !== 'running') return;
    connectsStartedAt = performance.now();
    const spreadMs = (withinS ?? opts.connectWithinS ?? Math.min(10, count / 1000)) * 1000;
    ids.forEach((id, k) => {
      const index = from + k;
      const dseed = deriveSeed(seed, index);
      const rng = createRng(dseed);
      const viaTelegram = telegram !== undefined && rng.chance(profile.telegram.share);
      const d = new SimDevice(
        id,
        creds[k]!,
        ctx,
        createBehaviour(profile, dseed, time.now()),
        rng,
        viaTelegram,
      );
      devices.push(d);
      counters.devices++;
      d.start(count > 1 ? (spreadMs * k) / count : 0);
    });
  };

  const stop = async (): Promise<void> => {
    if (state !== 'running') return done;
    state = 'stopping';
    cancelDuration();
    await Promise.all(devices.map((d) => d.stop()));
    state = 'stopped';
    resolveDone();
  };
  const cancelDuration = Number.isFinite(opts.durationS)
    ? clock.setTimer(opts.durationS * 1000, () => void stop())
    : () => {};

  try {
    await addDevices(opts.devices);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    profile,
    get state() {
      return state;
    },
    get connectsStartedAt() {
      return connectsStartedAt;
    },
    get deviceIds() {
      return devices.map((d) => d.id);
    },
    counters,
    latency,
    devices,
    addDevices,
    injectFault(kind, count = Infinity) {
      let n = 0;
      for (const d of devices) {
        if (n >= count) break;
        if (d.inject(kind)) n++;
      }
      return n;
    },
    waitOnline(n, timeoutMs) {
      return new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = (): void => {
          if (counters.online >= n) resolve();
          else if (Date.now() > deadline || state !== 'running')
            reject(new Error(`only ${counters.online} of ${n} devices online after ${timeoutMs} ms`));
          else setTimeout(check, 10);
        };
        check();
      });
    },
    stop,
    done,
  };
}
