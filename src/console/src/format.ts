/** Pure formatting helpers (unit-tested in format.test.ts). */

export function formatAgo(ts: number | string | null | undefined, now = Date.now()): string {
  if (ts === null || ts === undefined) return '—';
  const t = typeof ts === 'string' ? Date.parse(ts) : ts;
  if (!Number.isFinite(t)) return '—';
  const s = Math.round((now - t) / 1000);
  if (s < 0) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function formatTime(ts: number | string | null | undefined): string {
  if (ts === null || ts === undefined) return '—';
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString();
}

export function formatPercent(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${(x * 100).toFixed(digits)}%`;
}

/** Counts that may be fractional (availability counts device-minutes): 0.0182 → "0.02", 12345.6 → "12,346". */
export function formatCount(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en') : String(Math.round(x * 100) / 100);
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** Clamp budget remaining into [0, 1] for a bar, keeping the sign for the label. */
export function budgetBar(remaining: number | null | undefined): {
  width: number;
  tone: 'ok' | 'warn' | 'bad';
} {
  const r = remaining ?? 0;
  const width = Math.max(0, Math.min(1, r));
  return { width, tone: r > 0.5 ? 'ok' : r > 0 ? 'warn' : 'bad' };
}

/** Rows of a virtualized list to render for a scroll position. */
export function visibleRange(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  overscan = 8,
): { start: number; end: number } {
  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const end = Math.min(total, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return { start, end };
}
