/**
 * Error-budget freeze (Tsunagu, an SRE error-budget policy for rollouts): a job naming SLOs — or
 * asking for every SLO whose selector picks one of its target models — stops releasing while one of
 * them has exhausted its error budget (or, by choice, has a burn-rate alert firing), and resumes when
 * none does (`onRecovery: RESUME`) or stays paused for an operator (`STAY_PAUSED`). The SLO engine
 * keeps every SLO's fleet-wide budget on every node, so whichever node owns the job reads it there.
 */
import type { Job } from './types.js';

/**
 * What freezes a rollout:
 * - `BUDGET_EXHAUSTED` the SLO's error budget is at or below zero (with traffic in the window)
 * - `BURN_ALERT`       a burn-rate alert tier of the SLO is firing
 * - `EITHER`           either of the two
 */
export type FreezeTrigger = 'BUDGET_EXHAUSTED' | 'BURN_ALERT' | 'EITHER';

export interface SloFreeze {
  /** SLOs by name. */
  slos: string[];
  /** Also every SLO whose selector names one of the job's target models (default true). */
  targetModels: boolean;
  trigger: FreezeTrigger;
  onRecovery: 'RESUME' | 'STAY_PAUSED';
}

/** The slice of the SLO engine a freeze reads (the app passes the slo module's engine). */
export interface SloSource {
  has(name: string): boolean;
  list(): readonly { name: string; sli: { selector: { model?: string; models?: string[] } } }[];
  status(name: string): { total: number; budgetRemaining: number };
  firing(name: string): string[];
}

export interface SloReading {
  slo: string;
  budgetRemaining: number;
  exhausted: boolean;
  firing: string[];
}

/** The SLOs a job watches: named ones, plus those selecting a target model. */
export function watchedSlos(f: SloFreeze, job: Pick<Job, 'targets'>, src: SloSource): string[] {
  const names = new Set(f.slos);
  if (f.targetModels)
    for (const d of src.list()) {
      const sel = d.sli.selector;
      const models = [...(sel.model !== undefined ? [sel.model] : []), ...(sel.models ?? [])];
      if (models.some((m) => job.targets.models.includes(m))) names.add(d.name);
    }
  return [...names].filter((n) => src.has(n)).sort();
}

/** The watched SLOs that freeze the rollout now. */
export function freezingSlos(f: SloFreeze, job: Pick<Job, 'targets'>, src: SloSource): SloReading[] {
  const out: SloReading[] = [];
  for (const slo of watchedSlos(f, job, src)) {
    const st = src.status(slo);
    const exhausted = st.total > 0 && st.budgetRemaining <= 0;
    const firing = src.firing(slo);
    const byBudget = f.trigger !== 'BURN_ALERT' && exhausted;
    const byAlert = f.trigger !== 'BUDGET_EXHAUSTED' && firing.length > 0;
    if (byBudget || byAlert) out.push({ slo, budgetRemaining: st.budgetRemaining, exhausted, firing });
  }
  return out;
}

export function freezeReason(hits: SloReading[]): string {
  return `error-budget freeze: ${hits
    .map((h) =>
      h.exhausted
        ? `SLO ${h.slo} budget exhausted (${(h.budgetRemaining * 100).toFixed(1)}% left)`
        : `SLO ${h.slo} burn-rate alert ${h.firing.join(', ')} firing`,
    )
    .join('; ')}`;
}
