/** Outcome counts and latency percentiles (nearest-rank) for GET /commands/stats. */
import type { CommandStatus } from '../core/index.js';
import type { OutcomeRow } from './commands-store.js';

export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface CommandStats {
  total: number;
  byStatus: Record<CommandStatus, number>;
  replyLatencyMs: LatencySummary;
  confirmLatencyMs: LatencySummary;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

function summarize(values: number[]): LatencySummary {
  const s = [...values].sort((a, b) => a - b);
  return { count: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99) };
}

export function computeStats(rows: readonly OutcomeRow[]): CommandStats {
  const byStatus: Record<CommandStatus, number> = {
    queued: 0,
    sent: 0,
    acknowledged: 0,
    succeeded: 0,
    failed: 0,
    timed_out: 0,
    expired: 0,
    rejected: 0,
  };
  const reply: number[] = [];
  const confirm: number[] = [];
  for (const r of rows) {
    byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    if (r.replyLatencyMs !== null) reply.push(r.replyLatencyMs);
    if (r.confirmLatencyMs !== null) confirm.push(r.confirmLatencyMs);
  }
  return {
    total: rows.length,
    byStatus,
    replyLatencyMs: summarize(reply),
    confirmLatencyMs: summarize(confirm),
  };
}
