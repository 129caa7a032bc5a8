/**
 * Failed-authentication limiting per remote address. Only failures count and only failures are
 * slowed: a valid token is checked first (a hash lookup) and always accepted, so a spray of bad
 * tokens from one address — or from anyone behind the same NAT — cannot lock a valid admin out.
 */
export class FailureLimiter {
  private readonly windows = new Map<string, { count: number; start: number }>();

  constructor(
    private readonly perWindow: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Record one failure; returns the seconds to wait when the address is over its budget. */
  fail(address: string): number | undefined {
    const now = this.now();
    let w = this.windows.get(address);
    if (!w || now - w.start >= this.windowMs) {
      if (this.windows.size >= 10_000) this.windows.clear(); // bounded memory under a spray of addresses
      w = { count: 0, start: now };
      this.windows.set(address, w);
    }
    w.count++;
    if (w.count <= this.perWindow) return undefined;
    return Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000));
  }
}
