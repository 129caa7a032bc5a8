/**
 * Simulated time: every profile interval, delay and rate is in simulated time, which runs
 * `speed` times faster than the injected clock (`--speed 10` = ten times faster), so tests and
 * demos need not wait minutes for a heartbeat.
 */
import type { Clock } from '../core/index.js';

export class SimTime {
  private readonly startReal: number;

  constructor(
    readonly clock: Clock,
    readonly speed: number,
  ) {
    this.startReal = clock.now();
  }

  /** Simulated milliseconds since the epoch (starts at the real time and then runs `speed`× faster). */
  now(): number {
    return this.startReal + (this.clock.now() - this.startReal) * this.speed;
  }

  /** Run `fn` after `simMs` of simulated time; returns a cancel function. */
  after(simMs: number, fn: () => void): () => void {
    return this.clock.setTimer(simMs / this.speed, fn);
  }
}
