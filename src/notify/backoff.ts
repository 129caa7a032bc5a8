/**
 * Retry delay after the n-th failed attempt (n ≥ 1): exponential from `baseMs`, capped at `maxMs`,
 * with "equal jitter" (half fixed, half random) so a recovering endpoint is not hit by every
 * outbox at the same instant while each delay still grows.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 15 * 60_000, maxAttempts: 30 };

export function backoffDelay(attempt: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(p.maxMs, p.baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(exp / 2 + (exp / 2) * random());
}
