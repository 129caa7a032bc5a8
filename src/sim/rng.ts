/**
 * Seeded randomness, so a simulated fleet is reproducible: the same seed gives the same routes,
 * batteries, failures and latencies. mulberry32 is small, fast and good enough for simulation.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number;
  /** Integer in [min, max]. */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Exponential with the given mean: the gap between events of a Poisson process. */
  exponential(mean: number): number;
  pick<T>(items: readonly T[]): T;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor((max - min + 1) * next()),
    chance: (p) => next() < p,
    normal() {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    exponential: (mean) => -Math.log(1 - next()) * mean,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
  };
  return rng;
}

/** Derive a per-device seed from the fleet seed and the device index (FNV-1a mix). */
export function deriveSeed(seed: number, index: number): number {
  let h = 0x811c9dc5 ^ seed;
  h = Math.imul(h ^ index, 0x01000193);
  h = Math.imul(h ^ (index >>> 16), 0x01000193);
  return h >>> 0;
}

/** A latency distribution as profiles declare it. */
export type Distribution =
  | { dist: 'fixed'; ms: number }
  | { dist: 'uniform'; minMs: number; maxMs: number }
  /** Log-normal fitted to a median and a 99th percentile (p99 ≥ p50). */
  | { dist: 'lognormal'; p50Ms: number; p99Ms: number };

const Z99 = 2.3263478740408408;

export function sample(d: Distribution, rng: Rng): number {
  switch (d.dist) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return rng.uniform(d.minMs, d.maxMs);
    case 'lognormal': {
      if (d.p50Ms <= 0) return 0;
      const mu = Math.log(d.p50Ms);
      const sigma = Math.log(Math.max(d.p99Ms, d.p50Ms) / d.p50Ms) / Z99;
      return Math.exp(mu + sigma * rng.normal());
    }
  }
}
