/**
 * One clock timer over the deadline wheel: it waits for the earliest non-empty bucket and hands
 * the due buckets to the engine. Nothing fires while paused (before the listeners open, after
 * they close): a deadline that falls then is judged when the timer resumes.
 */
import type { Clock } from '../core/index.js';
import { DeadlineWheel } from './deadline-wheel.js';

export class DeadlineTimer {
  private readonly wheel = new DeadlineWheel();
  private armedAt = Infinity;
  private cancel: (() => void) | undefined;
  private running = false;

  constructor(
    private readonly clock: Clock,
    /** Every id in the due buckets (may contain stale ids and repeats: the engine checks). */
    private readonly fire: (buckets: string[][], now: number) => void,
  ) {}

  /** A device's deadline moved from `old` to `at` (Infinity: none). */
  move(id: string, old: number, at: number): void {
    if (at === Infinity) return;
    if (old !== Infinity && DeadlineWheel.keyOf(old) === DeadlineWheel.keyOf(at)) return;
    this.wheel.add(id, at);
    if (DeadlineWheel.timeOf(DeadlineWheel.keyOf(at)) < this.armedAt) this.arm();
  }

  /** Start firing (listeners open). */
  resume(): void {
    this.running = true;
    this.arm();
  }

  /** Stop firing; deadlines stay in the wheel. */
  pause(): void {
    this.running = false;
    this.cancel?.();
    this.cancel = undefined;
    this.armedAt = Infinity;
  }

  private arm(): void {
    if (!this.running) return;
    const due = this.wheel.nextDue();
    if (due === undefined || due === this.armedAt) return;
    this.cancel?.();
    this.armedAt = due;
    this.cancel = this.clock.setTimer(Math.max(0, due - this.clock.now()), () => this.onTimer());
  }

  private onTimer(): void {
    this.armedAt = Infinity;
    this.cancel = undefined;
    const now = this.clock.now();
    this.fire(this.wheel.takeDue(now), now);
    this.arm();
  }
}
