/**
 * Retry delay after the n-th failed attempt: exponential from `baseMs`, capped at `maxMs`, with
 * equal jitter (half fixed, half random) so a recovering peer is not hit by every queue at once.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 5 * 60_000 };
export const DEFAULT_MAX_ATTEMPTS = 5;

export function backoffDelay(attempt: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(p.maxMs, p.baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(exp / 2 + (exp / 2) * random());
}
