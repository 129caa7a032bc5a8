/**
 * The slo module in a cluster (docs/slo.md, "In a cluster"): each SLO is evaluated by the owner of
 * shard key `slo:<id>` (core/ownership.ts), so SLOs spread over the nodes. Every node counts the
 * events it sees into its own memory and flushes them additively into the shared per-minute
 * counters; before each evaluation a node re-reads the last hour of those counters, so the
 * windows it evaluates hold the sums from all nodes, not its own counts alone. Alert and
 * budget-flag writes are conditional and the owner emits only when its write applied.
 */
import type { Logger, Ownership } from '../core/index.js';
import type { CounterBuffer } from './counter-buffer.js';
import type { MinuteSeries } from './series.js';
import type { AlertRecord, SloStore } from './slo-store.js';

/** The ownership shard key of one SLO's evaluation. */
export function sloShardKey(sloId: string): string {
  return `slo:${sloId}`;
}

/** More than one live member: counters must be read back from the store, writes made conditional. */
export function isShared(ownership: Ownership | undefined): boolean {
  return ownership !== undefined && ownership.members().length > 1;
}

interface Synced {
  def: { name: string };
  series: MinuteSeries;
}

/**
 * Make each series hold, for minutes in [from, to), the store's sums (all nodes' flushed counts)
 * plus this node's counts not flushed yet. Runs right after a flush and before the next, so a
 * local count is in exactly one of the two.
 */
export function resyncCounters(
  store: SloStore,
  buffer: CounterBuffer,
  entries: () => Iterable<Synced>,
  from: number,
  to: number,
  log?: Logger,
): Promise<void> {
  return buffer.afterFlush(
    async () => {
      for (const e of [...entries()]) {
        const rows = await store.readCounters(e.def.name, from, to);
        const target = new Map<number, { good: number; total: number }>();
        for (const r of rows) target.set(r.minute, { good: r.good, total: r.total });
        for (const r of buffer.pending(e.def.name)) {
          if (r.minute < from || r.minute >= to) continue;
          const t = target.get(r.minute) ?? { good: 0, total: 0 };
          target.set(r.minute, { good: t.good + r.good, total: t.total + r.total });
        }
        e.series.extendTo(to);
        for (let m = from; m < to; m++) {
          const want = target.get(m) ?? { good: 0, total: 0 };
          const have = e.series.minute(m);
          if (want.good !== have.good || want.total !== have.total)
            e.series.add(m, want.good - have.good, want.total - have.total);
        }
      }
    },
    (err) => log?.error({ err }, 'slo counter flush failed'),
  );
}

/** The persisted alert state of some SLOs (open episodes, budget flags), for a node that gained them. */
export async function readAlertState(
  store: SloStore,
): Promise<{ firing: AlertRecord[]; exhausted: Map<string, boolean> }> {
  const firing = await store.listAlerts({ state: 'firing', limit: 100_000 });
  return { firing, exhausted: await store.getBudgetExhausted() };
}
