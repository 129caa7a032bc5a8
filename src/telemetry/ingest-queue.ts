/**
 * The ingest queue: decoded messages wait here until a flush writes them as one store transaction
 * (group commit). `enqueue` resolves only when the entry is durable, so a QoS 1 PUBACK or an HTTP
 * 2xx means "persisted". Above the high-water mark `isBehind()` is true (the telegram listener pauses
 * its sockets); `drained` listeners run when the queue falls back below half of it.
 *
 * Lifecycle of an entry: pending → writing → persisted | failed (after `maxRetries` attempts).
 */
import { withSpan } from '../core/index.js';
import type { WriteBatch } from './telemetry-store.js';

export interface QueueOptions {
  /** Flush as soon as this many points are pending. */
  maxBatchPoints: number;
  /** Otherwise flush this long after the first pending entry (group commit window). */
  flushDelayMs: number;
  /** Above this many pending points the store is "behind" (backpressure). */
  highWater: number;
  /** Above this many pending points, QoS 0 / fire-and-forget input is refused (and counted). */
  hardLimit: number;
  /** Store write attempts per batch before its entries fail. */
  maxRetries: number;
}

export const DEFAULT_QUEUE: QueueOptions = {
  maxBatchPoints: 5000,
  flushDelayMs: 10,
  highWater: 50_000,
  hardLimit: 200_000,
  maxRetries: 5,
};

interface Entry {
  batch: WriteBatch;
  size: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const sizeOf = (b: WriteBatch): number => b.points.length + b.events.length + b.attributes.length + 1;

export class IngestQueue {
  private pending: Entry[] = [];
  private pendingSize = 0;
  private writing = false;
  private timer: NodeJS.Timeout | undefined;
  private drainListeners = new Set<() => void>();
  private wasBehind = false;
  private stopped = false;

  constructor(
    private readonly write: (b: WriteBatch) => Promise<void>,
    private readonly opts: QueueOptions = DEFAULT_QUEUE,
    private readonly onError: (err: unknown, attempt: number) => void = () => undefined,
    private readonly onWritten: (b: WriteBatch) => void = () => undefined,
  ) {}

  /** Pending points (and events, attributes, one per message). */
  get size(): number {
    return this.pendingSize;
  }

  isBehind(): boolean {
    return this.pendingSize > this.opts.highWater;
  }

  isFull(): boolean {
    return this.pendingSize > this.opts.hardLimit;
  }

  /** Called whenever the queue falls below half the high-water mark after having been behind. */
  onDrained(fn: () => void): () => void {
    this.drainListeners.add(fn);
    return () => this.drainListeners.delete(fn);
  }

  enqueue(batch: WriteBatch): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('telemetry ingest is stopped'));
    return new Promise<void>((resolve, reject) => {
      const size = sizeOf(batch);
      this.pending.push({ batch, size, resolve, reject });
      this.pendingSize += size;
      if (this.isBehind()) this.wasBehind = true;
      this.schedule();
    });
  }

  /** Write everything pending now; resolves when the queue is empty. */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.writing) {
      if (!this.writing) await this.writeNext();
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** Refuse new input and write what is pending. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private schedule(): void {
    if (this.writing) return; // the running flush picks everything up when it ends
    if (this.pendingSize >= this.opts.maxBatchPoints) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      setImmediate(() => void this.writeNext());
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        void this.writeNext();
      }, this.opts.flushDelayMs);
    }
  }

  private checkDrained(): void {
    if (!this.wasBehind || this.pendingSize >= this.opts.highWater / 2) return;
    this.wasBehind = false;
    for (const fn of this.drainListeners) fn();
  }

  private take(): Entry[] {
    const out: Entry[] = [];
    let n = 0;
    while (
      this.pending.length > 0 &&
      (out.length === 0 || n + this.pending[0]!.size <= this.opts.maxBatchPoints)
    ) {
      const e = this.pending.shift()!;
      n += e.size;
      out.push(e);
    }
    this.pendingSize -= n;
    return out;
  }

  private async writeNext(): Promise<void> {
    if (this.writing || this.pending.length === 0) return;
    this.writing = true;
    const entries = this.take();
    this.checkDrained();
    const merged: WriteBatch = { points: [], events: [], attributes: [] };
    for (const { batch } of entries) {
      for (const p of batch.points) merged.points.push(p);
      for (const e of batch.events) merged.events.push(e);
      for (const a of batch.attributes) merged.attributes.push(a);
    }
    let failure: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        // One trace per batch: it carries many devices' messages, none of whose traces it belongs to.
        await withSpan(
          'telemetry write batch',
          {
            root: true,
            attributes: {
              'tsunagu.telemetry.points': merged.points.length,
              'tsunagu.telemetry.entries': entries.length,
            },
          },
          () => this.write(merged),
        );
        failure = undefined;
        break;
      } catch (err) {
        failure = err;
        this.onError(err, attempt);
        if (attempt >= this.opts.maxRetries) break;
        await new Promise((r) => setTimeout(r, Math.min(5000, 50 * 2 ** attempt)));
      }
    }
    this.writing = false;
    if (failure === undefined) {
      this.onWritten(merged);
      for (const e of entries) e.resolve();
    } else for (const e of entries) e.reject(failure);
    this.checkDrained();
    if (this.pending.length > 0) this.schedule();
  }
}
