/**
 * Heartbeat deadlines in 250 ms buckets (RESOLUTION_MS): a sign of life appends the device id to the bucket of
 * its new deadline (O(1), no removal: stale entries are skipped when the bucket fires, because the
 * device's current deadline no longer falls in it). A small binary heap holds the bucket keys, so
 * one clock timer waits for the earliest non-empty bucket. Cost per idle device: nothing; cost per
 * sign of life: one array push; a deadline fires at most RESOLUTION_MS after it passes (the
 * task asks for one second; a quarter keeps the p99 delay well inside it), at most 4 timer wake-ups/s.
 */
export const RESOLUTION_MS = 250;

export class DeadlineWheel {
  private readonly buckets = new Map<number, string[]>();
  private readonly heap: number[] = [];

  /** Bucket key: the slot at (or after) whose start the deadline has passed. */
  static keyOf(deadline: number): number {
    return Math.ceil(deadline / RESOLUTION_MS);
  }

  static timeOf(key: number): number {
    return key * RESOLUTION_MS;
  }

  add(id: string, deadline: number): void {
    const key = DeadlineWheel.keyOf(deadline);
    const b = this.buckets.get(key);
    if (b) {
      b.push(id);
      return;
    }
    this.buckets.set(key, [id]);
    this.push(key);
  }

  /** Time (ms) when the earliest bucket is due, or undefined when empty. */
  nextDue(): number | undefined {
    const k = this.heap[0];
    return k === undefined ? undefined : DeadlineWheel.timeOf(k);
  }

  /** Remove and return every id in buckets due at or before `now` (may contain stale ids and repeats). */
  takeDue(now: number): string[][] {
    const out: string[][] = [];
    for (;;) {
      const k = this.heap[0];
      if (k === undefined || DeadlineWheel.timeOf(k) > now) break;
      this.pop();
      const b = this.buckets.get(k);
      this.buckets.delete(k);
      if (b) out.push(b);
    }
    return out;
  }

  get entries(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.length;
    return n;
  }

  private push(k: number): void {
    const h = this.heap;
    h.push(k);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= k) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = k;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]! < h[l]! ? r : l;
      if (h[c]! >= last) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
