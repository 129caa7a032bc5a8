/**
 * Time is injected so that logic with deadlines and windows is tested without sleeping
 * (STYLE.md rule 8). Production code uses `systemClock`; tests use `ManualClock`.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Like setTimeout, but on this clock. Returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

const before = (a: PendingTimer, b: PendingTimer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/**
 * A clock that only moves when told to; timers fire in order during `advance`. Pending timers sit
 * in a binary heap ordered by (deadline, creation), so firing one costs O(log n) — a benchmark with
 * 100,000 devices' deadlines pending (bench/schedules-bench.ts) could not advance a re-sorted list.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly heap: PendingTimer[] = [];
  private cancelledInHeap = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const t: PendingTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(t);
    return () => {
      if (t.cancelled) return;
      t.cancelled = true;
      this.cancelledInHeap++;
      // Cancelled timers leave lazily; compact when they are most of the heap.
      if (this.cancelledInHeap > 1024 && this.cancelledInHeap * 2 > this.heap.length) this.compact();
    };
  }

  /** Move time forward, firing due timers in deadline order (timers set while firing are honoured). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.heap[0];
      if (!next || next.at > target) break;
      this.pop();
      if (next.cancelled) {
        this.cancelledInHeap--;
        continue;
      }
      next.cancelled = true; // fired: a late cancel is a no-op
      this.current = next.at;
      next.fn();
    }
    this.current = target;
  }

  set(ms: number): void {
    if (ms < this.current) throw new Error('ManualClock cannot go backwards');
    this.advance(ms - this.current);
  }

  private push(t: PendingTimer): void {
    const h = this.heap;
    h.push(t);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (h.length === 0 || !last) return;
    h[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }

  private compact(): void {
    const live = this.heap.filter((t) => !t.cancelled);
    this.heap.length = 0;
    this.cancelledInHeap = 0;
    for (const t of live) this.push(t);
  }
}
