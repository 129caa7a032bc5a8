/** An SLO's SLI and budget over time, read from the stored counters (all nodes' counts). */
import { MINUTE, windowAt } from './budget.js';
import { MinuteSeries } from './series.js';
import type { SloStore } from './slo-store.js';
import type { SloDefinition } from './types.js';

export interface HistoryPoint {
  at: number;
  sli: number | null;
  budgetRemaining: number;
  good: number;
  total: number;
}

/** SLI and budget remaining at each step in [from, to]. */
export async function readHistory(
  store: SloStore,
  def: SloDefinition,
  from: number,
  to: number,
  stepMinutes: number,
): Promise<HistoryPoint[]> {
  const first = windowAt(def.window, from).start;
  const last = Math.floor(to / MINUTE);
  const series = new MinuteSeries(
    last - first + 2,
    def.budgeting.method === 'timeslices' ? def.budgeting.sliceTarget : undefined,
  );
  series.extendTo(first);
  for (const r of await store.readCounters(def.name, first, last + 1)) series.add(r.minute, r.good, r.total);
  series.extendTo(last + 1);
  const points: HistoryPoint[] = [];
  for (let t = from; t <= to; t += stepMinutes * MINUTE) {
    const w = windowAt(def.window, t);
    const s = series.units(w.start, w.end);
    points.push({
      at: t,
      sli: s.total > 0 ? s.good / s.total : null,
      budgetRemaining: s.total > 0 ? 1 - (s.total - s.good) / (s.total * (1 - def.target)) : 1,
      good: s.good,
      total: s.total,
    });
  }
  return points;
}
