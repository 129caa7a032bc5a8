/**
 * Collects calls made in one turn of the event loop and runs them as batches of at most `max`
 * items (`setImmediate`: every timer due at the same instant has fired by then). A schedule's slot
 * boundary for 100,000 devices, the verify deadlines that follow it and the executions they finish
 * become a few hundred store statements instead of one per device; jobs read the active jobs once
 * for all the device changes of an import. Each caller gets its own item's result; a batch that
 * throws rejects its items only.
 */
export class Batcher<I, O> {
  private queue: { item: I; resolve(o: O): void; reject(err: unknown): void }[] = [];
  private scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly max: number,
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const all = this.queue;
    this.queue = [];
    for (let i = 0; i < all.length; i += this.max) {
      const batch = all.slice(i, i + this.max);
      try {
        const out = await this.run(batch.map((x) => x.item));
        batch.forEach((x, j) => x.resolve(out[j]!));
      } catch (err) {
        for (const x of batch) x.reject(err);
      }
    }
  }
}
