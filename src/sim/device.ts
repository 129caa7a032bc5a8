/**
 * One simulated device: connects with its own credential, reports heartbeats, telemetry, events
 * and its shadow on the platform's topics, answers commands and desired state, and fails the way
 * its profile and the fault settings say. The kind-specific model is a `Behaviour`.
 *
 * Topics (the platform's conventions):
 *   devices/{id}/heartbeat, devices/{id}/telemetry, devices/{id}/events      (publish, QoS 1)
 *   devices/{id}/commands/+ → devices/{id}/commands/{name}/reply             (subscribe / reply)
 *   $aws/things/{id}/shadow/update, …/update/delta, …/get, …/get/accepted     (AWS IoT shadow)
 */
import { deviceTopics } from '../core/index.js';
import type { Behaviour, Reported } from './behaviour.js';
import { JobsAgent } from './jobs-agent.js';
import { LinkError, type MqttLink } from './mqtt-link.js';
import type { FaultSettings, Profile } from './profile.js';
import { sample, type Distribution, type Rng } from './rng.js';
import type { LatencyRecorder, SimCounters } from './stats.js';
import { formatTelegram, type TelegramLink } from './telegram.js';
import type { SimTime } from './time.js';

/** What a device needs from a connection; `MqttLink` is the real one, tests may pass their own. */
export type Link = Pick<
  MqttLink,
  'publish' | 'subscribe' | 'end' | 'drop' | 'onMessage' | 'onClose' | 'closed'
>;

/** Empty for anonymous access (client id = device id, no user name, no password). */
export interface Credentials {
  username?: string;
  password?: string;
}

export type FaultKind = 'battery' | 'burst' | 'drop' | 'flap';
export const FAULT_KINDS: readonly FaultKind[] = ['battery', 'burst', 'drop', 'flap'];

/** Shared by every device of a simulation. */
export interface DeviceContext {
  profile: Profile;
  faults: FaultSettings;
  commandLatency: Distribution;
  time: SimTime;
  counters: SimCounters;
  latency: { publishAck: LatencyRecorder; connect: LatencyRecorder };
  /** A fine-grained monotonic clock for latency samples only (performance.now by default). */
  hrNow: () => number;
  openLink(id: string, creds: Credentials): Promise<Link>;
  openTelegram?: (id: string, creds: Credentials) => Promise<TelegramLink>;
  /** AWS IoT Jobs agent settings (jobs-agent.ts); default: every job succeeds. */
  jobs?: { failShare: number; hangShare: number };
}

/** Lifecycle of a simulated device. */
export type DeviceState =
  | 'idle' // created, not started yet
  | 'connecting' // waiting for the broker (or the telegram listener)
  | 'online' // connected, loops running
  | 'offline' // lost or dropped; a reconnect is scheduled
  | 'dead' // battery failure: silent for the rest of the run
  | 'stopped'; // the simulation ended

const MAX_BACKOFF_MS = 30_000;

export class SimDevice {
  state: DeviceState = 'idle';
  private link: Link | undefined;
  private tg: TelegramLink | undefined;
  /** Timers that belong to one connection (loops, pending replies). */
  private readonly session = new Set<() => void>();
  /** Timers for the device's life (faults, reconnects). */
  private readonly life = new Set<() => void>();
  private failedAttempts = 0;
  private lastTelemetryAt = 0;
  /** A stuck controller: desired state arrives and is ignored until repair(). */
  private ignoring = false;
  readonly jobs: JobsAgent;
  private readonly topic: {
    heartbeat: string;
    telemetry: string;
    events: string;
    commands: string;
    shadowUpdate: string;
    delta: string;
    get: string;
    getAccepted: string;
  };

  constructor(
    readonly id: string,
    private readonly creds: Credentials,
    private readonly ctx: DeviceContext,
    readonly behaviour: Behaviour,
    private readonly rng: Rng,
    readonly viaTelegram: boolean,
  ) {
    const shadow = `$aws/things/${id}/shadow`;
    this.topic = {
      heartbeat: deviceTopics.heartbeat(id),
      telemetry: deviceTopics.telemetry(id),
      events: deviceTopics.events(id),
      commands: deviceTopics.command(id, ''),
      shadowUpdate: `${shadow}/update`,
      delta: `${shadow}/update/delta`,
      get: `${shadow}/get`,
      getAccepted: `${shadow}/get/accepted`,
    };
    this.jobs = new JobsAgent(id, (topic, payload) => this.send(topic, payload, undefined), {
      failShare: ctx.jobs?.failShare ?? 0,
      hangShare: ctx.jobs?.hangShare ?? 0,
      random: () => rng.next(),
    });
  }

  /** Connect after `delayMs` of real time (spreads a fleet's connects) and schedule random faults. */
  start(delayMs = 0): void {
    if (this.state !== 'idle') return;
    this.state = 'offline';
    this.timer(this.life, delayMs, false, () => void this.connect());
    const f = this.ctx.faults;
    this.scheduleRandom(f.batteryPerHour, () => this.inject('battery'));
    this.scheduleRandom(f.burstPerHour, () => this.inject('burst'));
    this.scheduleRandom(f.dropPerHour, () => this.inject('drop'));
    this.scheduleRandom(f.flapPerHour, () => this.inject('flap'));
    this.scheduleRandom(this.ctx.profile.events.ratePerHour, () => this.reportError());
  }

  /** End the device gracefully (DISCONNECT); resolves when its socket is closed. */
  stop(): Promise<void> {
    if (this.state === 'online') this.ctx.counters.online--;
    this.state = 'stopped';
    this.clear(this.session);
    this.clear(this.life);
    this.link?.end();
    this.tg?.end();
    return Promise.all([this.link?.closed, this.tg?.closed]).then(() => undefined);
  }

  /** Trigger a fault now. Returns false when it does not apply (offline, not riding, …). */
  inject(kind: FaultKind): boolean {
    if (this.state !== 'online') return false;
    const f = this.ctx.faults;
    switch (kind) {
      case 'battery':
        if (!this.behaviour.canFailBattery()) return false;
        this.ctx.counters.faults.battery++;
        this.behaviour.batteryDead();
        this.goOffline('dead');
        return true;
      case 'burst':
        this.ctx.counters.faults.burst++;
        for (let i = 0; i < f.burstSize; i++)
          this.timer(this.session, i * 200, true, () => this.reportError());
        return true;
      case 'drop':
        this.ctx.counters.faults.drop++;
        this.goOffline('offline');
        this.timer(this.life, f.dropDownS * 1000, true, () => void this.connect());
        return true;
      case 'flap':
        this.ctx.counters.faults.flap++;
        this.flap(f.flapCycles);
        return true;
    }
  }

  private flap(cycles: number): void {
    const half = (this.ctx.faults.flapPeriodS * 1000) / 2;
    if (this.state === 'online') this.goOffline('offline');
    this.timer(this.life, half, true, () => {
      void this.connect().then(() => {
        if (cycles > 1) this.timer(this.life, half, true, () => this.flap(cycles - 1));
      });
    });
  }

  /** Drop the connection abruptly (no DISCONNECT), as a dead battery or lost network would. */
  private goOffline(next: 'offline' | 'dead'): void {
    if (this.state === 'online') this.ctx.counters.online--;
    this.state = next;
    this.clear(this.session);
    this.link?.drop();
    this.tg?.drop();
    this.link = undefined;
    this.tg = undefined;
  }

  private async connect(): Promise<void> {
    if (this.state !== 'offline') return;
    this.state = 'connecting';
    const t0 = this.ctx.hrNow();
    try {
      if (this.viaTelegram && this.ctx.openTelegram) {
        this.tg = await this.ctx.openTelegram(this.id, this.creds);
        this.tg.onClose = (err) => this.lost(err);
      } else {
        this.link = await this.ctx.openLink(this.id, this.creds);
      }
    } catch (err) {
      if (this.state !== 'connecting') return;
      this.ctx.counters.connectFailures++;
      const why = connectErrorKey(err);
      this.ctx.counters.connectErrors[why] = (this.ctx.counters.connectErrors[why] ?? 0) + 1;
      this.state = 'offline';
      this.scheduleReconnect();
      return;
    }
    if (this.state !== 'connecting') {
      // Stopped while connecting.
      this.link?.end();
      this.tg?.end();
      return;
    }
    this.ctx.latency.connect.record(this.ctx.hrNow() - t0);
    this.ctx.counters.connects++;
    this.ctx.counters.online++;
    this.state = 'online';
    this.failedAttempts = 0;
    if (this.link) await this.startMqttSession(this.link);
    if (this.state === 'online') this.startLoops();
  }

  private async startMqttSession(link: Link): Promise<void> {
    link.onMessage = (topic, payload) => this.onMessage(topic, payload);
    link.onClose = (err) => this.lost(err);
    try {
      await link.subscribe([
        deviceTopics.commandFilter(this.id),
        this.topic.delta,
        this.topic.getAccepted,
        ...this.jobs.topics(),
      ]);
    } catch {
      return; // the connection went away; lost() handles it
    }
    this.report(this.behaviour.reported());
    // Desired state written while the device was offline arrives through get/accepted.
    this.send(this.topic.get, '{}', undefined);
    this.jobs.start();
  }

  private lost(err: Error | undefined): void {
    if (this.state !== 'online' && this.state !== 'connecting') return;
    if (err) this.ctx.counters.unexpectedDisconnects++;
    if (this.state === 'online') this.ctx.counters.online--;
    this.state = 'offline';
    this.clear(this.session);
    this.link = undefined;
    this.tg = undefined;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    // Real-time backoff (not scaled by speed) so a fast simulation does not hammer a broken server.
    const ms = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.failedAttempts) * this.rng.uniform(0.5, 1.5);
    this.failedAttempts = Math.min(this.failedAttempts + 1, 10);
    this.timer(this.life, ms, false, () => void this.connect());
  }

  private startLoops(): void {
    const p = this.ctx.profile;
    const hb = p.heartbeat.intervalS * 1000;
    const tick = p.telemetry.intervalS * 1000;
    this.lastTelemetryAt = this.ctx.time.now();
    const heartbeat = (): void => {
      if (this.tg) this.sendTelegram();
      else this.send(this.topic.heartbeat, JSON.stringify({ ts: this.ctx.time.clock.now() }), 'heartbeats');
      this.timer(this.session, hb, true, heartbeat);
    };
    const telemetry = (): void => {
      this.telemetryTick();
      this.timer(this.session, tick, true, telemetry);
    };
    // A random phase spreads a fleet's reports instead of sending them all at once.
    this.timer(this.session, this.rng.uniform(0, hb), true, heartbeat);
    this.timer(this.session, this.rng.uniform(0, tick), true, telemetry);
  }

  private telemetryTick(): void {
    const now = this.ctx.time.now();
    this.behaviour.advance(now);
    if (now - this.lastTelemetryAt < this.behaviour.telemetryIntervalMs() * 0.9) return;
    this.lastTelemetryAt = now;
    if (this.rng.chance(this.ctx.faults.malformedShare)) {
      this.ctx.counters.malformedSent++;
      if (this.tg) this.tg.send(MALFORMED_TELEGRAMS[this.rng.int(0, MALFORMED_TELEGRAMS.length - 1)]!);
      else this.send(this.topic.telemetry, this.rng.pick(MALFORMED_JSON), undefined);
      return;
    }
    if (this.tg) this.sendTelegram();
    else
      this.send(
        this.topic.telemetry,
        JSON.stringify({ ts: this.ctx.time.clock.now(), ...this.behaviour.telemetry() }),
        'telemetry',
      );
  }

  private sendTelegram(): void {
    const state = this.behaviour.telegram();
    if (!this.tg || !state) return;
    this.tg.send(formatTelegram(state, this.ctx.profile.telegram.checksum));
    this.ctx.counters.telegrams++;
  }

  /**
   * Report one hardware error now: the profile's event with this code, or a random one. Returns
   * false when the device is not online or the profile has no such code.
   */
  reportError(code?: string): boolean {
    if (this.state !== 'online') return false;
    const codes = this.ctx.profile.events.codes;
    const e = code === undefined ? this.rng.pick(codes) : codes.find((c) => c.code === code);
    if (!e) return false;
    this.behaviour.hardwareError(e.code);
    if (this.tg) {
      this.sendTelegram();
      this.ctx.counters.events++;
      return true;
    }
    this.send(this.topic.events, JSON.stringify({ ts: this.ctx.time.clock.now(), ...e }), 'events');
    return true;
  }

  /**
   * A field technician fixed the machine: the behaviour clears its fault (a freed lock, a fresh
   * battery) and a device that went silent for good connects again.
   */
  repair(): void {
    this.behaviour.repair?.();
    this.ignoring = false;
    // Pending desired state (a schedule's write it ignored) arrives again through get/accepted.
    if (this.state === 'online' && this.link) this.send(this.topic.get, '{}', undefined);
    if (this.state !== 'dead') return;
    this.state = 'offline';
    this.failedAttempts = 0;
    void this.connect();
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (this.jobs.handles(topic)) return this.jobs.onMessage(topic, payload);
    if (topic === this.topic.delta) {
      const doc = parseJson(payload);
      const state = doc?.state;
      if (isObject(state)) this.applyDesired(state);
      return;
    }
    if (topic === this.topic.getAccepted) {
      const delta = parseJson(payload)?.state;
      if (isObject(delta) && isObject(delta.delta)) this.applyDesired(delta.delta);
      return;
    }
    if (topic.startsWith(this.topic.commands)) {
      const name = topic.slice(this.topic.commands.length);
      if (name !== '' && !name.includes('/')) this.onCommand(name, payload);
    }
  }

  private onCommand(name: string, payload: Buffer): void {
    const c = this.ctx.counters;
    c.commandsReceived++;
    const cmd = parseJson(payload);
    const id = cmd?.id;
    if (typeof id !== 'string' && typeof id !== 'number') {
      c.commandsUnreadable++;
      return;
    }
    const f = this.ctx.faults;
    let delay = sample(this.ctx.commandLatency, this.rng);
    if (f.slowReplyShare > 0 && this.rng.chance(f.slowReplyShare)) {
      delay += f.slowReplyExtraMs;
      c.faults.slow++;
    }
    this.timer(this.session, delay, true, () => {
      const replyTopic = deviceTopics.commandReply(this.id, name);
      if (this.rng.chance(this.ctx.profile.commands.failureRate)) {
        const reply = { id, status: 'error', code: 'DEVICE_FAILURE', message: 'simulated device failure' };
        this.send(replyTopic, JSON.stringify(reply), 'commandRepliesError');
        return;
      }
      const out = this.behaviour.command(name, cmd?.params);
      if (out.ok) {
        if (out.reported) this.report(out.reported);
        this.send(replyTopic, JSON.stringify({ id, status: 'ok' }), 'commandRepliesOk');
      } else {
        const reply = { id, status: 'error', code: out.code, message: out.message };
        this.send(replyTopic, JSON.stringify(reply), 'commandRepliesError');
      }
    });
  }

  /** From now until repair(), ignore desired state (a controller stuck in its own program). */
  ignoreDesired(): void {
    this.ignoring = true;
  }

  private applyDesired(delta: Record<string, unknown>): void {
    if (this.ignoring) return;
    const plan = this.behaviour.desired(delta);
    if (!plan) return;
    this.timer(this.session, plan.delayMs, true, () => {
      const reported = plan.apply();
      if (Object.keys(reported).length === 0) return;
      this.ctx.counters.deltasApplied++;
      this.report(reported);
    });
  }

  private report(reported: Reported): void {
    this.send(this.topic.shadowUpdate, JSON.stringify({ state: { reported } }), 'shadowReports');
  }

  /** Publish QoS 1 and record publish→PUBACK latency; `counter` counts the message when sent. */
  private send(
    topic: string,
    payload: string,
    counter:
      | 'heartbeats'
      | 'telemetry'
      | 'events'
      | 'shadowReports'
      | 'commandRepliesOk'
      | 'commandRepliesError'
      | undefined,
  ): void {
    const link = this.link;
    if (!link || this.state !== 'online') return;
    const t0 = this.ctx.hrNow();
    if (counter) this.ctx.counters[counter]++;
    link.publish(topic, payload, 1).then(
      () => this.ctx.latency.publishAck.record(this.ctx.hrNow() - t0),
      () => {
        if (this.state !== 'stopped') this.ctx.counters.publishFailures++;
      },
    );
  }

  /** Poisson arrivals at `perHour` (simulated time), for as long as the device lives. */
  private scheduleRandom(perHour: number, fn: () => void): void {
    if (perHour <= 0) return;
    this.timer(this.life, this.rng.exponential(3_600_000 / perHour), true, () => {
      fn();
      this.scheduleRandom(perHour, fn);
    });
  }

  private timer(set: Set<() => void>, ms: number, simulated: boolean, fn: () => void): void {
    if (this.state === 'stopped' || this.state === 'dead') return;
    const t = this.ctx.time;
    const cancel = simulated ? t.after(ms, run) : t.clock.setTimer(ms, run);
    set.add(cancel);
    function run(): void {
      set.delete(cancel);
      fn();
    }
  }

  private clear(set: Set<() => void>): void {
    for (const cancel of set) cancel();
    set.clear();
  }
}

const MALFORMED_JSON = [
  '{"ts":',
  'not json at all',
  '{"ts":"yesterday","battery":"full"}',
  '\u0000\u00ff\u00fe',
];
const MALFORMED_TELEGRAMS = [
  '0,0.0,0',
  'garbage line without structure',
  '0,0.0,0,0.0,,,,,ZZZZ,0000,16B0,xx,26&99,2,41,0,1,2,3,0,0,1,,0.0&0.00&0,100,FFFF',
];

function connectErrorKey(err: unknown): string {
  if (err instanceof LinkError) {
    if (err.kind === 'refused') return err.message.replace('connection refused, ', 'refused: ');
    if (err.kind === 'socket') return `socket: ${err.message.split(':')[0]}`;
    return err.kind;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return `socket: ${code}`;
  return err instanceof Error ? err.message.slice(0, 80) : 'error';
}

function parseJson(buf: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(buf.toString('utf8'));
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
