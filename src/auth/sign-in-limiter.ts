/**
 * Sign-in rate limiting: failures per remote address and per account, each in a sliding minute
 * window. Only failures count, so a person who types the password right is never slowed; the
 * per-account budget stops a distributed guesser, the per-address one a single noisy client.
 */
import type { Clock } from '../core/index.js';

export interface SignInLimits {
  perAddressPerMinute: number;
  perAccountPerMinute: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { perAddressPerMinute: 20, perAccountPerMinute: 5 };
const WINDOW_MS = 60_000;
const MAX_KEYS = 10_000;

export class SignInLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
  ) {}

  /** Seconds to wait before another attempt, or undefined when one is allowed now. */
  wait(address: string, account: string): number | undefined {
    const now = this.clock.now();
    const a = this.recent(`ip:${address}`, now);
    const u = this.recent(`acct:${account}`, now);
    const over = (list: number[], max: number): number | undefined =>
      list.length >= max
        ? Math.max(1, Math.ceil((list[list.length - max]! + WINDOW_MS - now) / 1000))
        : undefined;
    const waits = [over(a, this.limits.perAddressPerMinute), over(u, this.limits.perAccountPerMinute)].filter(
      (w): w is number => w !== undefined,
    );
    return waits.length ? Math.max(...waits) : undefined;
  }

  fail(address: string, account: string): void {
    const now = this.clock.now();
    if (this.failures.size >= MAX_KEYS) this.failures.clear(); // bounded memory under a spray
    for (const key of [`ip:${address}`, `acct:${account}`])
      this.failures.set(key, [...this.recent(key, now), now]);
  }

  /** A successful sign-in clears the account's failures (not the address's). */
  succeed(account: string): void {
    this.failures.delete(`acct:${account}`);
  }

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }
}
