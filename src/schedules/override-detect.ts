/**
 * A person, token or rule changed desired keys a schedule controls (executor.ts): the override to
 * record, holding until the next slot or until cleared, per the schedule's `overrideMode`.
 */
import type { ShadowChange } from './executor-deps.js';
import type { Override } from './execution.js';
import { overriddenKeys } from './match.js';
import type { Resolver } from './resolve.js';
import type { Schedule } from './types.js';

export function detectedOverride(
  s: Schedule,
  resolver: Resolver,
  ev: ShadowChange,
  now: number,
): Override | undefined {
  const st = resolver.at(now);
  if (st.kind === 'none' || !ev.desired) return undefined;
  const keys = overriddenKeys(st.write.patch, ev.desired);
  if (keys.length === 0) return undefined;
  return {
    scheduleId: s.id,
    deviceId: ev.deviceId,
    mode: s.overrideMode,
    keys,
    actor: `${ev.actor.kind}:${ev.actor.name ?? ev.actor.id}`,
    at: now,
    untilAt: s.overrideMode === 'until_next_slot' ? (resolver.next(now)?.at ?? null) : null,
  };
}
