/**
 * A boiler / air-handling controller: minute readings of flow and return temperature, CO2 and
 * humidity; set-points (the profile's `setpoints.initial` keys) live in the shadow and are applied
 * a random delay after a desired change arrives, then reported.
 */
import type { Behaviour, CommandOutcome, Reported } from './behaviour.js';
import type { BoilerSettings, Reading } from './profile.js';
import type { Rng } from './rng.js';

export class Boiler implements Behaviour {
  private readonly setpoints: Record<string, string | number | boolean>;
  private powered = true;
  intervalMs = 60_000;

  constructor(
    private readonly s: BoilerSettings,
    private readonly rng: Rng,
  ) {
    this.setpoints = { ...s.setpoints.initial };
  }

  advance(): void {}

  private read(r: Reading, shift = 0): number {
    return Math.round((r.mean + shift + r.sd * this.rng.normal()) * 10) / 10;
  }

  telemetry(): Record<string, unknown> {
    const sp = this.setpoints.flowTempSetpoint;
    // The flow temperature follows the set-point; the return side follows at a fixed spread.
    const shift = typeof sp === 'number' ? sp - this.s.readings.flowTemp.mean : 0;
    const heating = this.powered && this.setpoints.mode !== 'off';
    return {
      flowTemp: this.read(this.s.readings.flowTemp, heating ? shift : -30),
      returnTemp: this.read(this.s.readings.returnTemp, heating ? shift : -20),
      co2: Math.max(350, Math.round(this.read(this.s.readings.co2))),
      humidity: Math.min(100, Math.max(0, this.read(this.s.readings.humidity))),
    };
  }

  telemetryIntervalMs(): number {
    return this.intervalMs;
  }

  reported(): Reported {
    return { ...this.setpoints };
  }

  command(name: string, params: unknown): CommandOutcome {
    switch (name) {
      case 'reboot':
      case 'ping':
        return { ok: true };
      case 'setpoint': {
        const p = (params ?? {}) as Record<string, unknown>;
        const applied = this.applyKnown(p);
        if (Object.keys(applied).length === 0)
          return { ok: false, code: 'BAD_PARAMS', message: `no known set-point in params` };
        return { ok: true, reported: applied };
      }
      default:
        return { ok: false, code: 'UNKNOWN_COMMAND', message: `boiler does not know command "${name}"` };
    }
  }

  private applyKnown(values: Record<string, unknown>): Reported {
    const applied: Reported = {};
    for (const [k, v] of Object.entries(values)) {
      const current = this.setpoints[k];
      if (current === undefined || typeof v !== typeof current) continue; // AWS devices ignore what they do not know
      this.setpoints[k] = v as string | number | boolean;
      applied[k] = v;
    }
    return applied;
  }

  desired(delta: Record<string, unknown>): { delayMs: number; apply: () => Reported } | undefined {
    if (!Object.keys(delta).some((k) => k in this.setpoints)) return undefined;
    // Sometimes a boiler does not apply a change (busy, locked by a local panel): schedules see it
    // in verification and re-send. The rng is only drawn when refusals are configured.
    if (this.s.setpoints.refuseRate > 0 && this.rng.chance(this.s.setpoints.refuseRate)) return undefined;
    const [lo, hi] = this.s.setpoints.applyDelayS;
    return { delayMs: this.rng.uniform(lo, hi) * 1000, apply: () => this.applyKnown(delta) };
  }

  canFailBattery(): boolean {
    return this.powered;
  }

  batteryDead(): void {
    this.powered = false;
  }

  telegram(): undefined {
    return undefined;
  }

  hardwareError(): void {}
}
