/**
 * Signs of life from clients health does not track yet: each is looked up in the directory once,
 * then replayed if the device exists. An unregistered client is not looked up again while the
 * directory holds it as absent (its negative cache, invalidated when the device is registered):
 * health keeps no copy of that fact (one owner; a map entry and a 16-byte time less per
 * unregistered connected client, idle memory). A directory without a cache (no `absent`) gets the
 * lookups at most once a minute per client, remembered here.
 */
import type { Logger } from '../core/index.js';

const RETRY_MS = 60_000;
const MAX_REMEMBERED = 100_000;

export class UnknownDevices {
  private readonly lookups = new Set<string>();
  /** Only without `absent`: when each unregistered client was last looked up. */
  private readonly unknown = new Map<string, number>();

  constructor(
    /** Track the device from the directory; resolves false when it is not registered. */
    private readonly resolve: (id: string) => Promise<boolean>,
    private readonly log: Logger,
    /** The directory holds `id` as not registered (its cache, no I/O). */
    private readonly absent?: (id: string) => boolean,
  ) {}

  /** Look `id` up (unless already under way or known missing); `replay` runs when it exists. */
  seen(id: string, at: number, replay: () => void): void {
    if (this.lookups.has(id)) return;
    if (this.absent) {
      if (this.absent(id)) return;
    } else {
      const missedAt = this.unknown.get(id);
      if (missedAt !== undefined && at - missedAt < RETRY_MS) return;
    }
    this.lookups.add(id);
    void this.resolve(id)
      .then((found) => {
        if (found) {
          this.unknown.delete(id);
          replay();
        } else if (!this.absent && this.unknown.size < MAX_REMEMBERED) this.unknown.set(id, at);
      })
      .catch((err: unknown) => this.log.warn({ err, deviceId: id }, 'health: device lookup failed'))
      .finally(() => this.lookups.delete(id));
  }
}
