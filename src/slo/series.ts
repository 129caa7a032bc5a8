/**
 * One SLO's per-minute counters in memory as prefix sums, so that any window sum is two array
 * reads (O(1)) instead of a scan over up to 43,200 minutes (30 days). Loaded from the durable
 * counters at start and extended as events are counted.
 *
 * `cum[i]` (ring-indexed by absolute minute) holds the sum of every minute before `i`, for `i` in
 * [head − capacity, head]. Adding to the newest minute touches one entry; a late event for an older
 * minute updates the entries after it (O(age in minutes), small in practice). Counts for minutes not
 * yet closed wait aside until the engine's clock closes them. Two series are kept:
 * events (good, total) and, for the timeslices method, slices (good slices, slices with data).
 *
 * Memory: 16 bytes per minute of horizon (32 with timeslices): a 30-day window plus 3 days of
 * burn-rate look-back is about 760 KB per SLO.
 */

export interface Sums {
  good: number;
  total: number;
}

export class MinuteSeries {
  /** First minute not yet covered: cum[head] is the sum of all minutes < head. */
  private head = 0;
  private started = false;
  private readonly size: number;
  private readonly cumGood: Float64Array;
  private readonly cumTotal: Float64Array;
  private readonly sliceGood: Float64Array | undefined;
  private readonly sliceTotal: Float64Array | undefined;
  /** Counts for minutes ≥ head, folded in when the head passes them. */
  private readonly pending = new Map<number, Sums>();

  /**
   * @param capacity minutes of history kept (window + longest burn-rate window)
   * @param sliceTarget set for the timeslices method: a minute is a good slice when good/total ≥ it
   */
  constructor(
    readonly capacity: number,
    readonly sliceTarget?: number,
  ) {
    this.size = capacity + 1;
    this.cumGood = new Float64Array(this.size);
    this.cumTotal = new Float64Array(this.size);
    if (sliceTarget !== undefined) {
      this.sliceGood = new Float64Array(this.size);
      this.sliceTotal = new Float64Array(this.size);
    }
  }

  /** The first minute the series does not cover yet (−1 when empty). */
  get end(): number {
    return this.started ? this.head : -1;
  }

  private idx(minute: number): number {
    return ((minute % this.size) + this.size) % this.size;
  }

  /**
   * Make the series cover every minute < `minute`: fold in the counts waiting for those minutes
   * (empty minutes carry the sums forward). Only the caller's clock moves the head, so a count
   * dated in the future never drags the window forward.
   */
  extendTo(minute: number): void {
    if (this.started && minute <= this.head) return;
    if (!this.started || minute - this.head >= this.size) {
      this.started = true;
      // First use, or a gap longer than the horizon: everything older is out of range anyway.
      this.head = minute - this.capacity;
      this.cumGood.fill(0);
      this.cumTotal.fill(0);
      this.sliceGood?.fill(0);
      this.sliceTotal?.fill(0);
      for (const m of this.pending.keys()) if (m < this.head) this.pending.delete(m);
    }
    const h = this.idx(this.head);
    let g = this.cumGood[h]!;
    let t = this.cumTotal[h]!;
    let sg = this.sliceGood?.[h] ?? 0;
    let st = this.sliceTotal?.[h] ?? 0;
    for (let m = this.head; m < minute; m++) {
      const p = this.pending.size > 0 ? this.pending.get(m) : undefined;
      if (p) {
        this.pending.delete(m);
        g += p.good;
        t += p.total;
        if (p.total > 0) {
          sg += this.sliceValue(p);
          st += 1;
        }
      }
      const i = this.idx(m + 1);
      this.cumGood[i] = g;
      this.cumTotal[i] = t;
      if (this.sliceGood && this.sliceTotal) {
        this.sliceGood[i] = sg;
        this.sliceTotal[i] = st;
      }
    }
    this.head = minute;
  }

  /** Counts waiting for minutes the series does not cover yet (the current minute, future-dated events). */
  get pendingMinutes(): number {
    return this.pending.size;
  }

  private cum(arr: Float64Array, minute: number): number {
    if (minute >= this.head) return arr[this.idx(this.head)]!;
    const oldest = this.head - this.capacity;
    return arr[this.idx(Math.max(minute, oldest))]!;
  }

  /** Raw good/total counted for one minute. */
  minute(m: number): Sums {
    if (m < this.head - this.capacity || m >= this.head) return { good: 0, total: 0 };
    return {
      good: this.cum(this.cumGood, m + 1) - this.cum(this.cumGood, m),
      total: this.cum(this.cumTotal, m + 1) - this.cum(this.cumTotal, m),
    };
  }

  /**
   * Count good/total into minute `m` (additive). Minutes older than the horizon are ignored; a
   * minute the series does not cover yet (the current one, or one dated in the future) waits until
   * `extendTo` passes it.
   */
  add(m: number, good: number, total: number): void {
    if (good === 0 && total === 0) return;
    if (!this.started || m >= this.head) {
      const p = this.pending.get(m);
      if (p) {
        p.good += good;
        p.total += total;
      } else this.pending.set(m, { good, total });
      return;
    }
    if (m < this.head - this.capacity) return;
    const before = this.sliceTarget === undefined ? undefined : this.minute(m);
    for (let j = m + 1; j <= this.head; j++) {
      const i = this.idx(j);
      this.cumGood[i]! += good;
      this.cumTotal[i]! += total;
    }
    if (before && this.sliceGood && this.sliceTotal) {
      const after = { good: before.good + good, total: before.total + total };
      const dg = this.sliceValue(after) - this.sliceValue(before);
      const dt = (after.total > 0 ? 1 : 0) - (before.total > 0 ? 1 : 0);
      if (dg !== 0 || dt !== 0)
        for (let j = m + 1; j <= this.head; j++) {
          const i = this.idx(j);
          this.sliceGood[i]! += dg;
          this.sliceTotal[i]! += dt;
        }
    }
  }

  private sliceValue(s: Sums): number {
    return s.total > 0 && s.good / s.total >= this.sliceTarget! ? 1 : 0;
  }

  /** Event sums over minutes [from, to). */
  events(from: number, to: number): Sums {
    if (to <= from || !this.started) return { good: 0, total: 0 };
    return {
      good: this.cum(this.cumGood, to) - this.cum(this.cumGood, from),
      total: this.cum(this.cumTotal, to) - this.cum(this.cumTotal, from),
    };
  }

  /** Budget units over [from, to): events, or (timeslices) good slices and slices with data. */
  units(from: number, to: number): Sums {
    if (!this.sliceGood || !this.sliceTotal) return this.events(from, to);
    if (to <= from || !this.started) return { good: 0, total: 0 };
    return {
      good: this.cum(this.sliceGood, to) - this.cum(this.sliceGood, from),
      total: this.cum(this.sliceTotal, to) - this.cum(this.sliceTotal, from),
    };
  }
}
