/**
 * Signs of life from clients health does not track yet: each is looked up in the directory once
 * (and an unregistered client at most once a minute), then replayed if the device exists.
 */
import type { Logger } from '../core/index.js';

const RETRY_MS = 60_000;
const MAX_REMEMBERED = 100_000;

export class UnknownDevices {
  private readonly lookups = new Set<string>();
  private readonly unknown = new Map<string, number>();

  constructor(
    /** Track the device from the directory; resolves false when it is not registered. */
    private readonly resolve: (id: string) => Promise<boolean>,
    private readonly log: Logger,
  ) {}

  /** Look `id` up (unless already under way or recently missing); `replay` runs when it exists. */
  seen(id: string, at: number, replay: () => void): void {
    if (this.lookups.has(id)) return;
    const missedAt = this.unknown.get(id);
    if (missedAt !== undefined && at - missedAt < RETRY_MS) return;
    this.lookups.add(id);
    void this.resolve(id)
      .then((found) => {
        if (found) {
          this.unknown.delete(id);
          replay();
        } else if (this.unknown.size < MAX_REMEMBERED) this.unknown.set(id, at);
      })
      .catch((err: unknown) => this.log.warn({ err, deviceId: id }, 'health: device lookup failed'))
      .finally(() => this.lookups.delete(id));
  }
}
