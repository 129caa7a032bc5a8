/**
 * An e-scooter: parked and locked most of the time; rides start at random (riders), move along
 * the profile's route at a random speed, drain the battery per kilometre and end locked. The
 * lock state lives in the shadow (`reported.lock`); `unlock`/`lock` commands and a desired
 * `lock` change it.
 */
import type { Behaviour, CommandOutcome, Reported } from './behaviour.js';
import type { ScooterSettings } from './profile.js';
import type { Rng } from './rng.js';
import type { TelegramState } from './telegram.js';

const EARTH_M = 6_371_000;
const rad = (d: number): number => (d * Math.PI) / 180;

export function haversineM(a: readonly [number, number], b: readonly [number, number]): number {
  const dLat = rad(b[0] - a[0]);
  const dLon = rad(b[1] - a[1]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[0])) * Math.cos(rad(b[0])) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A closed route: position and heading at a distance along it. */
export class Route {
  private readonly legs: { from: [number, number]; to: [number, number]; length: number }[];
  readonly length: number;

  constructor(points: readonly [number, number][]) {
    this.legs = points.map((from, i) => {
      const to = points[(i + 1) % points.length] as [number, number];
      return { from, to, length: haversineM(from, to) };
    });
    this.length = this.legs.reduce((s, l) => s + l.length, 0);
  }

  at(distanceM: number): { lat: number; lon: number; heading: number } {
    let d = this.length > 0 ? ((distanceM % this.length) + this.length) % this.length : 0;
    for (const leg of this.legs) {
      if (d <= leg.length || leg === this.legs[this.legs.length - 1]) {
        const f = leg.length > 0 ? Math.min(1, d / leg.length) : 0;
        const heading = (Math.atan2(leg.to[1] - leg.from[1], leg.to[0] - leg.from[0]) * 180) / Math.PI;
        return {
          lat: leg.from[0] + (leg.to[0] - leg.from[0]) * f,
          lon: leg.from[1] + (leg.to[1] - leg.from[1]) * f,
          heading: (heading + 360) % 360,
        };
      }
      d -= leg.length;
    }
    return { lat: 0, lon: 0, heading: 0 };
  }
}

const ERROR_CODES: Record<string, { bit?: number; code?: number }> = {
  E_MOTOR_OVERTEMP: { code: 11 },
  E_BRAKE_SENSOR: { bit: 1 },
  E_LOCK_JAM: { bit: 14 },
  E_BATTERY_CELL: { code: 21 },
};

export class Scooter implements Behaviour {
  private lock: 'locked' | 'unlocked' = 'locked';
  private riding = false;
  private rideEndsAt = 0;
  private nextRideAt: number;
  private speedKmh = 0;
  private distanceM: number;
  private tripKm = 0;
  private odometerKm: number;
  private battery: number;
  private lastAt: number;
  private hwStatus = 0;
  private errorCode = 0;
  /** A jammed lock refuses to unlock until a technician frees it. */
  private jammed = false;
  private readonly route: Route;

  constructor(
    private readonly s: ScooterSettings,
    private readonly rng: Rng,
    simNow: number,
  ) {
    this.route = new Route(s.route);
    this.distanceM = rng.uniform(0, this.route.length);
    this.odometerKm = rng.uniform(100, 20_000);
    this.battery = rng.uniform(s.batteryStartPct[0], s.batteryStartPct[1]);
    this.lastAt = simNow;
    this.nextRideAt = simNow + this.rideGapMs();
  }

  private rideGapMs(): number {
    return this.s.tripsPerHour > 0 ? this.rng.exponential(3_600_000 / this.s.tripsPerHour) : Infinity;
  }

  private startRide(at: number): void {
    this.riding = true;
    this.lock = 'unlocked';
    this.speedKmh = this.rng.uniform(this.s.speedKmh[0], this.s.speedKmh[1]);
    this.rideEndsAt = at + this.rng.uniform(this.s.tripDurationS[0], this.s.tripDurationS[1]) * 1000;
    this.tripKm = 0;
  }

  private endRide(at: number): void {
    this.riding = false;
    this.speedKmh = 0;
    this.lock = 'locked';
    this.nextRideAt = at + this.rideGapMs();
  }

  advance(simNow: number): void {
    // Move in steps so a ride that starts and ends between two reports is accounted for.
    while (this.lastAt < simNow) {
      const stepEnd = Math.min(simNow, this.riding ? this.rideEndsAt : this.nextRideAt);
      if (this.riding) {
        const km = (this.speedKmh * (stepEnd - this.lastAt)) / 3_600_000;
        this.distanceM += km * 1000;
        this.tripKm += km;
        this.odometerKm += km;
        this.battery = Math.max(0, this.battery - km * this.s.drainPctPerKm);
      }
      this.lastAt = stepEnd;
      if (stepEnd < simNow || stepEnd === (this.riding ? this.rideEndsAt : this.nextRideAt)) {
        if (this.riding) this.endRide(stepEnd);
        else if (this.battery > 5) this.startRide(stepEnd);
        else this.nextRideAt = stepEnd + this.rideGapMs();
      }
    }
  }

  telemetry(): Record<string, unknown> {
    const p = this.route.at(this.distanceM);
    return {
      lat: round(p.lat, 6),
      lon: round(p.lon, 6),
      speed: round(this.riding ? this.speedKmh + this.rng.normal() : 0, 1),
      battery: round(this.battery, 1),
      locked: this.lock === 'locked',
      riding: this.riding,
    };
  }

  telemetryIntervalMs(): number {
    return this.riding ? this.intervalMs : this.idleIntervalMs;
  }

  /** Set by the device from the profile (riding vs parked report intervals). */
  intervalMs = 10_000;
  idleIntervalMs = 300_000;

  reported(): Reported {
    return { lock: this.lock, battery: round(this.battery, 1), riding: this.riding };
  }

  command(name: string): CommandOutcome {
    switch (name) {
      case 'unlock':
        if (this.battery <= 0) return { ok: false, code: 'BATTERY_EMPTY', message: 'battery empty' };
        if (this.jammed) return { ok: false, code: 'LOCK_JAMMED', message: 'lock actuator jammed' };
        this.lock = 'unlocked';
        return { ok: true, reported: { lock: this.lock } };
      case 'lock':
        if (this.riding) this.endRide(this.lastAt);
        this.lock = 'locked';
        return { ok: true, reported: { lock: this.lock, riding: false } };
      case 'locate':
      case 'beep':
      case 'ping':
        return { ok: true };
      default:
        return { ok: false, code: 'UNKNOWN_COMMAND', message: `scooter does not know command "${name}"` };
    }
  }

  desired(delta: Record<string, unknown>): { delayMs: number; apply: () => Reported } | undefined {
    const want = delta.lock;
    if (want !== 'locked' && want !== 'unlocked') return undefined;
    return {
      delayMs: this.rng.uniform(200, 2000),
      apply: () => {
        const r = this.command(want === 'locked' ? 'lock' : 'unlock');
        return r.ok ? { lock: this.lock } : {};
      },
    };
  }

  canFailBattery(): boolean {
    return this.riding;
  }

  batteryDead(): void {
    this.battery = 0;
    this.riding = false;
    this.speedKmh = 0;
    this.nextRideAt = Infinity;
  }

  hardwareError(code: string): void {
    const e = ERROR_CODES[code];
    this.hwStatus = e?.bit !== undefined ? 1 << e.bit : 0;
    this.errorCode = e?.code ?? 0;
    if (code === 'E_LOCK_JAM') this.jammed = true;
  }

  repair(): void {
    this.jammed = false;
    if (this.battery <= 5) {
      this.battery = 100;
      this.nextRideAt = this.lastAt + this.rideGapMs();
    }
  }

  telegram(): TelegramState {
    const p = this.route.at(this.distanceM);
    const t: TelegramState = {
      lockState: this.riding ? 'riding' : this.lock,
      speedKmh: this.riding ? this.speedKmh : 0,
      tripKm: this.tripKm,
      position: p,
      hwStatus: this.hwStatus,
      odometerKm: this.odometerKm,
      batteryPct: this.battery,
      batteryTempC: 22 + this.rng.normal(),
      errorCode: this.errorCode,
      lightsOn: this.riding,
      rssiDbm: -70 - Math.round(this.rng.uniform(0, 30)),
    };
    // Status bits and error codes are reported once, like an edge-triggered controller.
    this.hwStatus = 0;
    this.errorCode = 0;
    return t;
  }
}

const round = (v: number, digits: number): number => Number(v.toFixed(digits));
