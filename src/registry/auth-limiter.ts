/**
 * Failed-authentication limits, checked BEFORE any database read or hash, so a flood of wrong
 * passwords costs a map lookup each. Two tables (docs/registry.md, "Failed authentications"):
 *
 * - per (client id, address): after `clientFailures` consecutive failures the pair is locked out
 *   for `lockoutMs`, doubling with each further failure up to `maxLockoutMs`; a success resets it.
 *   Keyed by the pair, not the client id alone, so an attacker who knows a device id cannot lock the
 *   real device out: the device, connecting from its own address, is still verified.
 * - per address: a token bucket of failures (`addressBurst`, refilled at `addressPerSecond`); when
 *   empty, every password CONNECT from that address is refused until it refills. This caps a spray
 *   over many client ids from one address. Devices behind the same NAT address share the bucket.
 *
 * Attempts in flight count against the pair's allowance, so 400 concurrent wrong CONNECTs for one
 * id from one address get `clientFailures` verifications, not 400. Memory is bounded (`maxEntries`
 * per table; idle entries are swept, then the oldest dropped).
 */
import type { Clock } from '../core/index.js';

export interface AuthLimitOptions {
  /** Consecutive failures of one client id from one address before the lockout starts. */
  clientFailures: number;
  /** First lockout; doubles with each further failure up to `maxLockoutMs`. */
  lockoutMs: number;
  maxLockoutMs: number;
  /** Failures one address may burst… */
  addressBurst: number;
  /** …then refilled at this rate. */
  addressPerSecond: number;
  /** Entries kept per table at most. */
  maxEntries: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimitOptions = {
  clientFailures: 5,
  lockoutMs: 1000,
  maxLockoutMs: 15 * 60_000,
  addressBurst: 100,
  addressPerSecond: 2,
  maxEntries: 100_000,
};

/** How an attempt ended: `neutral` for refusals that are not a wrong secret (disabled, revoked). */
export type AttemptOutcome = 'success' | 'failure' | 'neutral';

export type Admission =
  | { ok: true; end(outcome: AttemptOutcome): void }
  | { ok: false; scope: 'client' | 'address'; retryAfterMs: number };

interface PairState {
  failures: number;
  pending: number;
  lockedUntil: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** IPv4-mapped IPv6 → IPv4; IPv6 → its /64 (one host usually owns a whole /64). */
export function addressKey(ip: string): string {
  const bare = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1]!;
  if (!bare.includes(':')) return bare;
  const [head = '', tail] = bare.split('::', 2);
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return (
    groups
      .slice(0, 4)
      .map((g) => (parseInt(g, 16) || 0).toString(16))
      .join(':') + '::/64'
  );
}

class BoundedTable<V> {
  readonly map = new Map<string, V>();
  private sweptAt = -Infinity;

  constructor(
    private readonly max: number,
    private readonly idle: (v: V, now: number) => boolean,
  ) {}

  put(key: string, v: V, now: number): void {
    if (this.map.size >= this.max) {
      // At most one O(n) sweep a second, so a full table of live entries does not cost O(n) per insert.
      if (now - this.sweptAt >= 1000) {
        this.sweptAt = now;
        for (const [k, e] of this.map) if (this.idle(e, now)) this.map.delete(k);
      }
      if (this.map.size >= this.max) {
        const oldest = this.map.keys().next();
        if (!oldest.done) this.map.delete(oldest.value);
      }
    }
    this.map.set(key, v);
  }
}

export class AuthLimiter {
  private readonly pairs: BoundedTable<PairState>;
  private readonly addresses: BoundedTable<Bucket>;

  constructor(
    private readonly clock: Clock,
    private readonly opts: AuthLimitOptions = DEFAULT_AUTH_LIMITS,
  ) {
    this.pairs = new BoundedTable(opts.maxEntries, (p, now) => p.pending === 0 && now >= p.lockedUntil);
    this.addresses = new BoundedTable(opts.maxEntries, (b, now) => this.refill(b, now) >= opts.addressBurst);
  }

  /** May this client id, from this address, have its secret verified now? */
  begin(clientId: string, remoteAddress: string): Admission {
    const now = this.clock.now();
    const addr = addressKey(remoteAddress);
    const bucket = this.addresses.map.get(addr);
    if (bucket && this.refill(bucket, now) < 1)
      return {
        ok: false,
        scope: 'address',
        retryAfterMs: Math.ceil(((1 - bucket.tokens) / this.opts.addressPerSecond) * 1000),
      };
    const key = `${clientId}\0${addr}`;
    let pair = this.pairs.map.get(key);
    if (pair) {
      if (now < pair.lockedUntil) return { ok: false, scope: 'client', retryAfterMs: pair.lockedUntil - now };
      // In-flight attempts use up the remaining allowance; after a lockout, one attempt at a time.
      if (pair.pending >= Math.max(1, this.opts.clientFailures - pair.failures))
        return { ok: false, scope: 'client', retryAfterMs: this.opts.lockoutMs };
    } else {
      pair = { failures: 0, pending: 0, lockedUntil: 0 };
      this.pairs.put(key, pair, now);
    }
    pair.pending++;
    const p = pair;
    let ended = false;
    return {
      ok: true,
      end: (outcome) => {
        if (ended) return;
        ended = true;
        this.end(key, addr, p, outcome);
      },
    };
  }

  private end(key: string, addr: string, pair: PairState, outcome: AttemptOutcome): void {
    const now = this.clock.now();
    pair.pending--;
    if (outcome === 'success') {
      pair.failures = 0;
      pair.lockedUntil = 0;
      if (pair.pending === 0 && this.pairs.map.get(key) === pair) this.pairs.map.delete(key);
      return;
    }
    if (outcome === 'neutral') {
      if (pair.pending === 0 && pair.failures === 0 && this.pairs.map.get(key) === pair)
        this.pairs.map.delete(key);
      return;
    }
    pair.failures++;
    const over = pair.failures - this.opts.clientFailures;
    if (over >= 0)
      pair.lockedUntil =
        now + Math.min(this.opts.maxLockoutMs, this.opts.lockoutMs * 2 ** Math.min(over, 30));
    // The pair may have been evicted meanwhile; keep counting it.
    if (this.pairs.map.get(key) !== pair) this.pairs.put(key, pair, now);
    let bucket = this.addresses.map.get(addr);
    if (!bucket) {
      bucket = { tokens: this.opts.addressBurst, at: now };
      this.addresses.put(addr, bucket, now);
    }
    this.refill(bucket, now);
    bucket.tokens -= 1;
  }

  private refill(b: Bucket, now: number): number {
    if (now > b.at) {
      b.tokens = Math.min(
        this.opts.addressBurst,
        b.tokens + ((now - b.at) / 1000) * this.opts.addressPerSecond,
      );
      b.at = now;
    }
    return b.tokens;
  }

  /** Entries held (for tests and /metrics). */
  size(): { pairs: number; addresses: number } {
    return { pairs: this.pairs.map.size, addresses: this.addresses.map.size };
  }
}
