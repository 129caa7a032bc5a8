/**
 * The receiving side of exactly-once QoS 2 across nodes (docs/cluster.md, "QoS 2 after a forward
 * timeout"): the ids of forwarded QoS 2 messages this node accepted, kept for a window. The origin
 * waits at most 5 s for a node's answer; a node that was slow (stalled, overloaded) may still
 * queue the message after the origin gave up and disconnected the publisher. The publisher's
 * resend is forwarded again under the same id (mqtt/qos2-resend.ts); here it gets the first
 * delivery's answer instead of a second copy — also while the first delivery is still running.
 *
 * Bounded by time (`windowMs`) and count (`max`, oldest dropped first). In memory: a node that
 * restarts forgets its window (its clients reconnect elsewhere anyway).
 */

/** The answer a forward gets: empty, or the copies dropped here (forward-answer.ts). */
export type Answer = Uint8Array | undefined;

interface Entry {
  at: number;
  answer: Promise<Answer>;
}

export const SEEN_WINDOW_MS = 120_000;
export const SEEN_MAX = 100_000;

export class SeenMessages {
  /** Insertion order = time order (entries are re-inserted when renewed). */
  private readonly entries = new Map<string, Entry>();
  /** Forwards answered from the window instead of delivered again. */
  deduplicated = 0;

  constructor(
    private readonly windowMs = SEEN_WINDOW_MS,
    private readonly max = SEEN_MAX,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Count `id` as delivered now (this node published it; its resend comes back from another node). */
  mark(id: string): void {
    const now = this.now();
    this.entries.delete(id);
    this.entries.set(id, { at: now, answer: Promise.resolve(undefined) });
    this.trim(now);
  }

  /** Whether `id` was delivered (or is being delivered) within the window. */
  has(id: string): boolean {
    const e = this.entries.get(id);
    return e !== undefined && this.now() - e.at <= this.windowMs;
  }

  /**
   * Deliver message `id` unless it was delivered (or is being delivered) within the window: then
   * the answer of that delivery. A delivery that fails is forgotten, so a resend tries again.
   */
  once(id: string, deliver: () => Promise<Answer>): Promise<Answer> {
    const now = this.now();
    const seen = this.entries.get(id);
    if (seen !== undefined && now - seen.at <= this.windowMs) {
      this.deduplicated++;
      return seen.answer;
    }
    const answer = deliver();
    this.entries.delete(id);
    this.entries.set(id, { at: now, answer });
    answer.catch(() => {
      if (this.entries.get(id)?.answer === answer) this.entries.delete(id);
    });
    this.trim(now);
    return answer;
  }

  private trim(now: number): void {
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.max && now - e.at <= this.windowMs) break;
      this.entries.delete(id);
    }
  }
}
