/**
 * Rollout arithmetic, pure (AWS IoT Jobs `jobExecutionsRolloutConfig` and `abortConfig`, plus
 * Tsunagu's health gate). The scheduler reads the job and its counts, asks these, and writes.
 */
import type { GateCounts } from './jobs-store.js';
import type { AbortCriterion, HealthGate, Job, ProgressCounts, RolloutState } from './types.js';

const MINUTE = 60_000;
/** "No rate limit": release as fast as ticks go. */
export const UNLIMITED = 1_000_000_000;

export function initialRollout(job: Pick<Job, 'config'>, now: number): RolloutState {
  const r = job.config.rollout;
  const rate = r.exponentialRate?.baseRatePerMinute ?? r.maximumPerMinute ?? UNLIMITED;
  return {
    ratePerMinute: Math.min(rate, r.maximumPerMinute ?? UNLIMITED),
    windowStart: now,
    releasedInWindow: 0,
    notifiedSinceIncrease: 0,
    succeededAtIncrease: 0,
    soakUntil: 0,
  };
}

/** How many targets may be released now (the rate's per-minute window; nothing during a soak). */
export function releasable(state: RolloutState, now: number): { n: number; state: RolloutState } {
  let s = state;
  if (now >= s.windowStart + MINUTE) s = { ...s, windowStart: now, releasedInWindow: 0 };
  if (now < s.soakUntil) return { n: 0, state: s };
  return { n: Math.max(0, Math.floor(s.ratePerMinute) - s.releasedInWindow), state: s };
}

/**
 * After releasing `k`: count them, start a soak when the job has a health gate, and grow an
 * exponential rate when a criterion is met (AWS: the rate is multiplied by `incrementFactor` each
 * time `numberOfNotifiedThings` more were notified, or `numberOfSucceededThings` more succeeded,
 * never above `maximumPerMinute`).
 */
export function afterRelease(
  job: Pick<Job, 'config'>,
  state: RolloutState,
  k: number,
  counts: ProgressCounts,
  now: number,
): RolloutState {
  let s: RolloutState = {
    ...state,
    releasedInWindow: state.releasedInWindow + k,
    notifiedSinceIncrease: state.notifiedSinceIncrease + k,
  };
  const gate = job.config.healthGate;
  if (gate && k > 0) s.soakUntil = now + gate.soakMinutes * MINUTE;
  const exp = job.config.rollout.exponentialRate;
  if (!exp) return s;
  const c = exp.rateIncreaseCriteria;
  const notified =
    c.numberOfNotifiedThings !== undefined && s.notifiedSinceIncrease >= c.numberOfNotifiedThings;
  const succeeded =
    c.numberOfSucceededThings !== undefined &&
    counts.SUCCEEDED - s.succeededAtIncrease >= c.numberOfSucceededThings;
  if (notified || succeeded) {
    const max = job.config.rollout.maximumPerMinute ?? UNLIMITED;
    s = {
      ...s,
      ratePerMinute: Math.min(max, s.ratePerMinute * exp.incrementFactor),
      notifiedSinceIncrease: 0,
      succeededAtIncrease: counts.SUCCEEDED,
    };
  }
  return s;
}

/** Executions that finished (the abort criteria's denominator). */
export const executed = (c: ProgressCounts): number => c.SUCCEEDED + c.FAILED + c.REJECTED + c.TIMED_OUT;

/**
 * The first abort criterion met (AWS `abortConfig.criteriaList`): at least `minNumberOfExecutedThings`
 * finished and failures of `failureType` are at least `thresholdPercentage` of them.
 */
export function abortCriterionMet(
  criteria: readonly AbortCriterion[],
  c: ProgressCounts,
): { criterion: AbortCriterion; percent: number } | undefined {
  const done = executed(c);
  for (const k of criteria) {
    if (done === 0 || done < k.minNumberOfExecutedThings) continue;
    const failures = k.failureType === 'ALL' ? c.FAILED + c.REJECTED + c.TIMED_OUT : c[k.failureType];
    const percent = (failures / done) * 100;
    if (percent >= k.thresholdPercentage) return { criterion: k, percent };
  }
  return undefined;
}

export interface GateVerdict {
  judged: boolean;
  worse: boolean;
  updatedPercent: number;
  othersPercent: number;
}

/** Is the updated group worse than the rest by more than the margin? Not judged with too few devices. */
export function judgeGate(gate: HealthGate, g: GateCounts): GateVerdict {
  const updatedPercent = g.updated ? (g.updatedBad / g.updated) * 100 : 0;
  const othersPercent = g.others ? (g.othersBad / g.others) * 100 : 0;
  const judged = g.updated >= gate.minDevices && g.others >= gate.minDevices;
  return {
    judged,
    worse: judged && updatedPercent - othersPercent > gate.marginPercent,
    updatedPercent,
    othersPercent,
  };
}
