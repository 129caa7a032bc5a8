/** Which routes (and so which channels) an item goes to. */
import { SEVERITY_RANK_NOTIFY } from './severity.js';
import type { NotifyItem, Route } from './types.js';

export function routeMatches(r: Route, item: NotifyItem, tags: readonly string[]): boolean {
  if (!r.enabled) return false;
  if (r.kinds.length > 0 && !r.kinds.includes(item.kind)) return false;
  if (SEVERITY_RANK_NOTIFY[item.severity] < SEVERITY_RANK_NOTIFY[r.minSeverity]) return false;
  if (r.models.length > 0 && (item.model === undefined || !r.models.includes(item.model))) return false;
  if (r.tags.length > 0 && !r.tags.some((t) => tags.includes(t))) return false;
  return true;
}

/** Distinct channel ids across every matching route. */
export function channelsFor(routes: readonly Route[], item: NotifyItem, tags: readonly string[]): string[] {
  const out = new Set<string>();
  for (const r of routes) if (routeMatches(r, item, tags)) for (const c of r.channelIds) out.add(c);
  return [...out];
}
