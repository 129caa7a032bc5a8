/**
 * Admission control for CONNECTs whose secret needs the slow KDF (scrypt): at most `concurrency`
 * run at once, the rest wait in order. Why bound it when scrypt already runs on libuv's pool: on a
 * 2-core machine four pool threads hashing at once starve the event loop of CPU (every other
 * connection's packets, and fast CONNECTs, wait behind them), and the pool is shared with file I/O
 * and DNS. A waiter that has queued longer than `maxWaitMs`, or arrives at a full queue, is turned
 * away with `busy` (CONNACK 0x89 Server busy) rather than left to hit its client's connect timeout.
 */
import { availableParallelism } from 'node:os';
import type { Clock } from '../core/index.js';

export interface SlowLaneOptions {
  /** Slow verifications at once; default one less than the CPU count (at least 1). */
  concurrency: number;
  maxQueued: number;
  /** Longer than this in the queue → busy (mqtt.js's default connect timeout is 30 s). */
  maxWaitMs: number;
}

export const defaultSlowLaneOptions = (): SlowLaneOptions => ({
  concurrency: Math.max(1, availableParallelism() - 1),
  maxQueued: 5000,
  maxWaitMs: 20_000,
});

export const BUSY = Symbol('busy');

interface Waiter {
  at: number;
  start: () => void;
  refuse: () => void;
}

export class SlowLane {
  private running = 0;
  private readonly queue: Waiter[] = [];
  private head = 0;

  constructor(
    private readonly clock: Clock,
    private readonly opts: SlowLaneOptions = defaultSlowLaneOptions(),
  ) {}

  /** Run `work` when a slot is free; BUSY when the queue is full or the wait grew too long. */
  run<T>(work: () => Promise<T>): Promise<T | typeof BUSY> {
    if (this.running < this.opts.concurrency) return this.exec(work);
    if (this.queue.length - this.head >= this.opts.maxQueued) return Promise.resolve(BUSY);
    return new Promise((resolve, reject) => {
      this.queue.push({
        at: this.clock.now(),
        start: () => void this.exec(work).then(resolve, reject),
        refuse: () => resolve(BUSY),
      });
    });
  }

  private async exec<T>(work: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.next();
    }
  }

  private next(): void {
    const now = this.clock.now();
    while (this.running < this.opts.concurrency && this.head < this.queue.length) {
      const w = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Waiter;
      if (now - w.at > this.opts.maxWaitMs) w.refuse();
      else w.start();
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Verifications running and waiting (for tests and /metrics). */
  stats(): { running: number; queued: number } {
    return { running: this.running, queued: this.queue.length - this.head };
  }
}
