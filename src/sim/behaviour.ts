/**
 * What a kind of device does, apart from connecting: the telemetry it reports, the state it
 * keeps in its shadow, how it executes commands and desired state. `device.ts` drives it.
 * Times are simulated milliseconds (real elapsed time × speed).
 */
import type { TelegramState } from './telegram.js';

export type Reported = Record<string, unknown>;

export type CommandOutcome = { ok: true; reported?: Reported } | { ok: false; code: string; message: string };

export interface Behaviour {
  /** Advance the model to `simNow`. */
  advance(simNow: number): void;
  /** Telemetry fields (without `ts`). */
  telemetry(): Record<string, unknown>;
  /** Simulated ms until the next telemetry report. */
  telemetryIntervalMs(): number;
  /** The full reported state for the shadow. */
  reported(): Reported;
  /** Execute a command (after the simulated reply latency). */
  command(name: string, params: unknown): CommandOutcome;
  /**
   * Desired state arrived (AWS shadow delta). Returns the simulated delay before the device
   * applies it and the function that applies it and returns what to report, or undefined to ignore.
   */
  desired(delta: Record<string, unknown>): { delayMs: number; apply: () => Reported } | undefined;
  /** May a silent battery failure happen now (scooters: only mid-ride)? */
  canFailBattery(): boolean;
  /** Called when the battery died: the model stops (battery 0). */
  batteryDead(): void;
  /** The state a CSV telegram reports; undefined for kinds without telegrams. */
  telegram(): TelegramState | undefined;
  /** A hardware error is being reported (telegram devices set status bits from it). */
  hardwareError(code: string): void;
  /** A technician fixed the machine (clear a jam, swap the battery); optional. */
  repair?(): void;
}
